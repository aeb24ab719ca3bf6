package org.radstream.imaging.cohort;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.radstream.imaging.Mask3D;
import org.radstream.imaging.Metrics;
import org.radstream.imaging.ProgressionRule;
import org.radstream.imaging.dicom.CtSeries;

class CohortGeneratorTest {
    @TempDir
    static Path tmp;
    static CohortManifest manifest;
    static Cohort cohort;

    @BeforeAll
    static void generate() throws Exception {
        manifest = CohortGenerator.generate(new CohortSpec(11, 24, 1, 64, true), tmp.resolve("a"));
        cohort = Cohort.open(tmp.resolve("a"));
    }

    @Test
    void layoutAndManifestReadBack() throws Exception {
        assertThat(cohort.manifest()).isEqualTo(manifest);
        assertThat(manifest.scans()).hasSize(25);
        assertThat(cohort.scans("abdomen")).hasSize(1);
        assertThat(Files.exists(tmp.resolve("a/README.md"))).isTrue();
        CohortManifest.Scan s = manifest.scans().get(0);
        assertThat(s.width()).isEqualTo(64);
        assertThat(s.depth()).isEqualTo(16);
        try (var files = Files.list(cohort.dicomDir(s))) {
            assertThat(files.count()).isEqualTo(16);
        }
        CtSeries series = cohort.series(s);
        assertThat(series.seriesInstanceUid()).isEqualTo(s.seriesUid()).startsWith("2.25.");
        assertThat(series.bodyPartExamined()).isEqualTo("CHEST");
        assertThat(series.volume().spacingZ()).isCloseTo(s.spacingZ(), within(1e-6));
    }

    @Test
    void truthVolumesAndPoirMatchTheMasks() throws Exception {
        for (CohortManifest.Scan s : manifest.scans()) {
            for (var e : s.truthFiles().entrySet()) {
                Mask3D m = cohort.truth(s, e.getKey());
                assertThat(m.width()).isEqualTo(s.width());
                assertThat(m.volumeMl(s.spacingX(), s.spacingY(), s.spacingZ())).isCloseTo(s.truthMl().get(e.getKey()), within(0.001));
            }
            if (s.kind().equals("chest")) {
                assertThat(s.truthMl().get("lung")).isGreaterThan(500);
                assertThat(s.truthPoir()).isEqualTo(Metrics.poir(s.truthMl().get("infection"), s.truthMl().get("lung")));
            } else {
                assertThat(s.truthMl().get("liver")).isGreaterThan(300);
                assertThat(s.truthMl().get("vessel")).isGreaterThan(0);
                assertThat(cohort.truth(s, "vessel-noisy")).isNotEqualTo(cohort.truth(s, "vessel"));
            }
        }
    }

    @Test
    void alertPairsFollowTheRuleAndScenariosCoverTheCases() {
        assertThat(manifest.patients()).extracting(CohortManifest.Patient::scenario)
                .contains("rapid-growth", "near-above", "no-infection", "stable", "near-below");
        for (CohortManifest.Pair p : manifest.pairs()) {
            var e = cohort.scan(p.earlierScanId());
            var l = cohort.scan(p.laterScanId());
            double hours = Duration.between(Instant.parse(e.acquisitionDateTime()), Instant.parse(l.acquisitionDateTime())).toMinutes() / 60.0;
            assertThat(p.hoursApart()).isEqualTo(hours);
            assertThat(p.alert()).isEqualTo(ProgressionRule.isAlert(e.truthMl().get("infection"), l.truthMl().get("infection"), hours));
        }
        assertThat(manifest.alertPairs()).isNotEmpty().allMatch(CohortManifest.Pair::alert);
        assertThat(manifest.pairs().stream().filter(p -> !p.alert())).isNotEmpty();
        for (CohortManifest.Patient p : manifest.patients()) {
            if (p.scenario().startsWith("near")) {
                CohortManifest.Pair first = manifest.pairs().stream()
                        .filter(x -> x.earlierScanId().equals(p.scanIds().get(0)) && x.laterScanId().equals(p.scanIds().get(1)))
                        .findFirst().orElseThrow();
                double ratio = first.laterInfectionMl() / first.earlierInfectionMl();
                assertThat(ratio).isBetween(1.5 * 0.94, 1.5 * 1.06);
                assertThat(first.alert()).isEqualTo(p.scenario().equals("near-above"));
            }
        }
    }

    @Test
    void sameSeedSameBytes() throws Exception {
        CohortManifest again = CohortGenerator.generate(new CohortSpec(11, 2, 0, 64, false), tmp.resolve("b"));
        CohortManifest twice = CohortGenerator.generate(new CohortSpec(11, 2, 0, 64, false), tmp.resolve("c"));
        assertThat(twice).isEqualTo(again);
        Path f = Path.of(again.scans().get(1).dicomDir(), "IM00005.dcm");
        assertThat(Files.readAllBytes(tmp.resolve("c").resolve(f))).isEqualTo(Files.readAllBytes(tmp.resolve("b").resolve(f)));
    }

    @Test
    void chosenScenariosGiveOnePatientEachWithTheAskedScans() throws Exception {
        CohortManifest m = CohortGenerator.generate(
                CohortSpec.patients(5, java.util.List.of("rapid-growth", "no-infection", "late-growth"), 2, 0, 64),
                tmp.resolve("d"));
        assertThat(m.patients()).extracting(CohortManifest.Patient::scenario)
                .containsExactly("rapid-growth", "no-infection", "late-growth");
        assertThat(m.patients()).allSatisfy(p -> assertThat(p.scanIds()).hasSize(2));
        assertThat(m.alertPairs()).singleElement()
                .satisfies(p -> assertThat(p.patientId()).isEqualTo(m.patients().get(0).patientId()));
    }

    @Test
    void unknownScenarioOrScanCountIsRefused() {
        org.assertj.core.api.Assertions.assertThatThrownBy(
                () -> CohortSpec.patients(5, java.util.List.of("exploding"), 2, 0, 64))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("unknown scenario 'exploding'");
        org.assertj.core.api.Assertions.assertThatThrownBy(
                () -> CohortSpec.patients(5, java.util.List.of("stable"), 6, 0, 64))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("2..5");
    }
}
