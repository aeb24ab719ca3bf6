package org.radstream.imaging.cohort;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Predicate;

/**
 * Grows a branching tube tree (pulmonary arteries and veins, airways, hepatic vessels) by
 * recursive bifurcation: each child is thinner (ratio 0.70–0.82, close to Murray's law for a
 * symmetric split), proportionally shorter, turned 25–45° from its parent and nudged away from
 * the root so trees fan out towards the organ's periphery. Branches stop below a minimum radius
 * or where they would leave the organ, which is what makes vessels reach the pleura but not cross it.
 */
final class TreeGrower {
    private final SplittableRandom random;
    private final Predicate<Vec3> inside;
    private final double minRadius;
    private final double lengthPerRadius;

    TreeGrower(SplittableRandom random, Predicate<Vec3> inside, double minRadius, double lengthPerRadius) {
        this.random = random;
        this.inside = inside;
        this.minRadius = minRadius;
        this.lengthPerRadius = lengthPerRadius;
    }

    List<Tube> grow(Vec3 start, Vec3 direction, double radius, Vec3 fanCentre) {
        List<Tube> out = new ArrayList<>();
        grow(start, direction.unit(), radius, 0, fanCentre, out);
        return out;
    }

    private void grow(Vec3 start, Vec3 dir, double radius, int generation, Vec3 fanCentre, List<Tube> out) {
        if (radius < minRadius || generation > 12) {
            return;
        }
        double length = Math.max(4, Math.min(45, radius * lengthPerRadius * (0.8 + 0.4 * random.nextDouble())));
        Vec3 end = start.plus(dir.times(length));
        if (!inside.test(end)) {
            Vec3 half = start.plus(dir.times(length * 0.5));
            if (generation > 0 && !inside.test(half)) {
                return;
            }
            if (generation > 0) {
                out.add(new Tube(start, half, radius, generation));
                return;
            }
        }
        out.add(new Tube(start, end, radius, generation));
        int children = random.nextDouble() < 0.15 ? 3 : 2;
        Vec3 u = dir.perpendicular();
        Vec3 v = dir.cross(u).unit();
        double phase = random.nextDouble() * Math.PI * 2;
        for (int c = 0; c < children; c++) {
            double angle = Math.toRadians(25 + 20 * random.nextDouble());
            double around = phase + c * 2 * Math.PI / children + (random.nextDouble() - 0.5) * 0.6;
            Vec3 side = u.times(Math.cos(around)).plus(v.times(Math.sin(around)));
            Vec3 childDir = dir.times(Math.cos(angle)).plus(side.times(Math.sin(angle)));
            Vec3 outward = end.minus(fanCentre).unit();
            childDir = childDir.plus(outward.times(0.35)).unit();
            double ratio = 0.70 + 0.12 * random.nextDouble();
            grow(end, childDir, radius * ratio, generation + 1, fanCentre, out);
        }
    }
}
