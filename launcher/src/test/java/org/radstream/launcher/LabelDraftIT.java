package org.radstream.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.radstream.avro.CorrectedLabel;
import org.radstream.avro.InferenceResult;
import org.radstream.avro.Mask;
import org.radstream.imaging.Mask3D;
import org.radstream.imaging.Rle;
import org.radstream.platform.Platform;
import org.radstream.platform.PlatformExtension;
import org.radstream.schemas.Topic;
import org.radstream.schemas.Topics;
import org.radstream.trainer.LabelMaker;
import picocli.CommandLine;

/** {@code radstream label draft} against the embedded broker: the newest result of the series and task, as submit takes it. */
@ExtendWith(PlatformExtension.class)
class LabelDraftIT {
    @TempDir
    Path dir;

    private static Mask3D mask(int voxels) {
        Mask3D m = new Mask3D(16, 16, 4);
        for (int i = 0; i < voxels; i++) {
            m.set(i * 7, true);
        }
        return m;
    }

    private static InferenceResult result(String series, String task, Mask3D m, String version, long producedAt) {
        return InferenceResult.newBuilder().setSeriesUid(series).setTask(task).setTaskGroup("chest").setPatientId("P1")
                .setStudyUid("st-" + series).setAcquisitionTime(Instant.parse("2026-12-01T08:00:00Z")).setSliceCount(4)
                .setVoxelVolumeMm3(2.0).setVolumeMl(m.count() * 0.002)
                .setMask(new Mask(m.width(), m.height(), m.depth(), ByteBuffer.wrap(Rle.encode(m))))
                .setMethod("model").setModelVersion(version).setProducedAt(Instant.ofEpochMilli(producedAt)).build();
    }

    @Test
    void theNewestMaskOfTheSeriesAndTaskIsWrittenAsSubmitTakesIt(Platform platform) throws Exception {
        Topic<String, InferenceResult> t = platform.topics().results();
        Mask3D older = mask(10);
        Mask3D newer = mask(20);
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, platform.bootstrap()), new StringSerializer(), new ByteArraySerializer())) {
            for (InferenceResult r : new InferenceResult[] {result("S-1", "infection", older, "8", 1000),
                    result("S-1", "lung", mask(30), "1", 1100), result("S-2", "infection", mask(5), "9", 1200),
                    result("S-1", "infection", newer, "9", 1300)}) {
                String key = Topics.seriesTaskKey(r.getSeriesUid().toString(), r.getTask().toString());
                producer.send(new ProducerRecord<>(t.name(), key, t.valueSerde().serializer().serialize(t.name(), r))).get();
            }
        }
        String[] cluster = {"--bootstrap", platform.bootstrap(), "--registry", platform.registryUrl()};
        Path out = dir.resolve("drafts/S-1-infection.rle");
        StringWriter printed = new StringWriter();
        java.io.PrintStream stdout = System.out;
        java.io.ByteArrayOutputStream captured = new java.io.ByteArrayOutputStream();
        int code;
        try {
            System.setOut(new java.io.PrintStream(captured, true, java.nio.charset.StandardCharsets.UTF_8));
            code = new CommandLine(new LabelCommand()).setErr(new PrintWriter(printed)).execute(concat(
                    new String[] {"draft", "--series", "S-1", "--task", "infection", "--out", out.toString()}, cluster));
        } finally {
            System.setOut(stdout);
        }
        assertThat(code).as(printed.toString()).isZero();
        assertThat(Rle.read(out)).isEqualTo(newer);
        assertThat(captured.toString(java.nio.charset.StandardCharsets.UTF_8))
                .contains("the infection mask of series S-1 (16×16×4, 20 voxels, 0.0 mL) by model v9")
                .contains("radstream label submit --series S-1 --task infection --mask " + out);
        // what submit then sends: the same voxels, for the same series and task
        CorrectedLabel label = LabelMaker.fromFile("S-1", "infection", out, "dr-it");
        assertThat(label.getSeriesUid()).isEqualTo("S-1");
        assertThat(Rle.decode(label.getMask().getRle().array(), 16, 16, 4)).isEqualTo(newer);

        StringWriter none = new StringWriter();
        int missing = new CommandLine(new LabelCommand()).setErr(new PrintWriter(none)).execute(concat(
                new String[] {"draft", "--series", "S-3", "--task", "infection", "--out", dir.resolve("x.rle").toString()},
                cluster));
        assertThat(missing).isEqualTo(LabelCommand.Draft.EXIT_NONE);
        assertThat(dir.resolve("x.rle")).doesNotExist();
    }

    private static String[] concat(String[] a, String[] b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
