package org.radstream.imaging;

/**
 * Lung and infection masks made consistent with each other, as the lung label is drawn: the lung
 * includes its lesions.
 *
 * <p>A lung network tends to leave dense subpleural consolidation out of the lung (it is as dense
 * as the chest wall it touches), and cutting the infection at that lung mask then drops exactly the
 * consolidation. So the infection keeps every candidate component (3D, face-connected) that
 * reaches into the lung, whole, and the lung grows by the infection it contains. Components that
 * do not touch the lung at all (stomach gas, bowel, chest wall) are dropped.
 *
 * @param lung      the lung including its infection
 * @param infection the infection, a subset of {@code lung}
 */
public record InfectedLung(Mask3D lung, Mask3D infection) {

    public InfectedLung {
        requireSameShape(lung, infection);
    }

    /**
     * The candidate infection components (3D, face-connected) that reach into {@code lung}, each
     * kept whole, including its voxels outside the lung.
     */
    public static Mask3D reaching(Mask3D lung, Mask3D candidates) {
        requireSameShape(lung, candidates);
        return Components.label3D(candidates, Connectivity.FACE).touching(lung);
    }

    /** The lung grown by the infection (the final one, after any classifier) and that infection. */
    public static InfectedLung of(Mask3D lung, Mask3D infection) {
        requireSameShape(lung, infection);
        return new InfectedLung(lung.or(infection), infection);
    }

    private static void requireSameShape(Mask3D lung, Mask3D infection) {
        if (!lung.sameShape(infection)) {
            throw new IllegalArgumentException("lung " + lung + " and infection " + infection + " differ in shape");
        }
    }
}
