package org.radstream.ingest;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.radstream.avro.InferenceResult;
import org.radstream.imaging.Mask3D;

/**
 * Export throughput: objects per second stored at dcmtk's storescp (TCP_NODELAY=1, as dcmtk's
 * documentation advises for speed), in the same run, alternating:
 * <ol>
 *   <li>the reference, as the export sent them before: PixelMed's own storage SCU, one association
 *       per object, its socket with Nagle's algorithm on;</li>
 *   <li>{@link CStoreSender#store}: one association per object on a no-delay socket ({@link StorageScu});</li>
 *   <li>{@link CStoreSender#storeAll}: the objects of a poll over one association, as the export
 *       sends them now.</li>
 * </ol>
 * Each object is a DICOM Segmentation of a lung mask of {@code size}² × {@code slices} (an ellipsoid
 * per side), or with {@code kind} {@code sr} a PoIR measurement report (a few KiB). The best round
 * of each is reported, and the median of the per-round ratios against the reference after the
 * first round (the JIT's warm-up).
 *
 * <p>With {@code tls}, each round also stores the objects, {@code perAssociation} per association,
 * at a second storescp that takes only DICOM TLS with a client certificate ({@code +tls}), through
 * the export's {@link TlsTunnel}, and reports that rate against the plain batched one: what TLS
 * (a handshake per association, encryption, the relay) costs.
 *
 * <p>Usage: {@code ExportBench [objects=100] [perAssociation=10] [size=256] [slices=100] [rounds=5] [kind=seg|sr] [tls]}
 */
public final class ExportBench {
    private ExportBench() {}

    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 100;
        int batch = args.length > 1 ? Integer.parseInt(args[1]) : 10;
        int size = args.length > 2 ? Integer.parseInt(args[2]) : 256;
        int slices = args.length > 3 ? Integer.parseInt(args[3]) : 100;
        int rounds = args.length > 4 ? Integer.parseInt(args[4]) : 5;
        boolean reports = args.length > 5 && args[5].equals("sr");
        boolean tls = args.length > 6 && args[6].equals("tls");
        List<CStoreSender.Instance> objects = new ArrayList<>();
        long bytes = 0;
        for (int i = 0; i < n; i++) {
            byte[] dicom = reports ? ResultReport.write(ResultExportIT.measurement("1.2.80." + i, 4000, i), null, Set.of())
                    : ResultSegmentation.write(lung("1.2.80." + i, size, slices));
            bytes += dicom.length;
            objects.add(new CStoreSender.Instance(dicom, "object " + i));
        }
        System.out.printf(Locale.ROOT, "%d %s, %.1f MiB, %d per association%n", n, reports ? "PoIR measurement reports"
                : String.format(Locale.ROOT, "lung segmentations of %dx%dx%d", size, size, slices), bytes / 1048576.0, batch);
        Path dir = Files.createTempDirectory("export-bench");
        int port;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            port = s.getLocalPort();
        }
        ProcessBuilder storescp = new ProcessBuilder("storescp", "-od", dir.toString(), "-aet", "PACS", Integer.toString(port))
                .redirectErrorStream(true).redirectOutput(dir.resolve("storescp.log").toFile());
        storescp.environment().put("TCP_NODELAY", "1");
        Process scp = storescp.start();
        Process tlsScp = null;
        CStoreSender tlsSender = null;
        if (tls) {
            String pw = "bench-password";
            Path pacsKeys = org.radstream.schemas.TestCertificates.keyStore(dir, "pacs", "pacs", pw);
            Path ourKeys = org.radstream.schemas.TestCertificates.keyStore(dir, "export", "export", pw);
            int tlsPort;
            try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
                tlsPort = s.getLocalPort();
            }
            Path tlsDir = Files.createDirectories(dir.resolve("tls"));
            ProcessBuilder pb = new ProcessBuilder("storescp", "+tls",
                    org.radstream.schemas.TestCertificates.privateKeyPem(pacsKeys, pw, dir.resolve("pacs.key")).toString(),
                    org.radstream.schemas.TestCertificates.certificatePem(pacsKeys, pw, dir.resolve("pacs.crt")).toString(),
                    "+cf", org.radstream.schemas.TestCertificates.certificatePem(ourKeys, pw, dir.resolve("export.crt")).toString(),
                    "-od", tlsDir.toString(), "-aet", "PACS", Integer.toString(tlsPort))
                    .redirectErrorStream(true).redirectOutput(dir.resolve("storescp-tls.log").toFile());
            pb.environment().put("TCP_NODELAY", "1");
            tlsScp = pb.start();
            tlsSender = new CStoreSender("localhost", tlsPort, org.radstream.schemas.ClientTls.load(
                    org.radstream.schemas.TestCertificates.trustStore(dir, "pacs-trust", pw, pacsKeys), pw, ourKeys, pw),
                    "PACS", "RADSTREAM");
        }
        List<Double> tlsRatios = new ArrayList<>();
        try {
            Thread.sleep(500);
            CStoreSender sender = new CStoreSender("localhost", port, null, "PACS", "RADSTREAM");
            List<Path> files = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                Path f = dir.resolve("object-" + i + ".dcm");
                Files.write(f, objects.get(i).part10());
                files.add(f);
            }
            double[] best = new double[3];
            List<Double> singleRatios = new ArrayList<>();
            List<Double> batchedRatios = new ArrayList<>();
            for (int round = 1; round <= rounds; round++) {
                long t0 = System.nanoTime();
                for (Path f : files) {
                    pixelmedOwn(f, port);
                }
                double reference = n / ((System.nanoTime() - t0) / 1e9);
                t0 = System.nanoTime();
                for (CStoreSender.Instance o : objects) {
                    sender.store(o.part10(), o.what());
                }
                double single = n / ((System.nanoTime() - t0) / 1e9);
                t0 = System.nanoTime();
                for (int from = 0; from < n; from += batch) {
                    List<String> failures = sender.storeAll(objects.subList(from, Math.min(n, from + batch)));
                    if (failures.stream().anyMatch(f -> f != null)) {
                        throw new IllegalStateException("round " + round + ": " + failures);
                    }
                }
                double batched = n / ((System.nanoTime() - t0) / 1e9);
                System.out.printf(Locale.ROOT, "round %d: PixelMed's SCU, one association per object %.1f obj/s (%.2f ms each); "
                        + "no delay, one per association %.1f obj/s (%.2f ms, ratio %.2f); no delay, %d per association "
                        + "%.1f obj/s (%.2f ms, ratio %.2f)%n", round, reference, 1000 / reference, single, 1000 / single,
                        single / reference, batch, batched, 1000 / batched, batched / reference);
                if (tlsSender != null) {
                    t0 = System.nanoTime();
                    for (int from = 0; from < n; from += batch) {
                        List<String> failures = tlsSender.storeAll(objects.subList(from, Math.min(n, from + batch)));
                        if (failures.stream().anyMatch(f -> f != null)) {
                            throw new IllegalStateException("round " + round + " over TLS: " + failures);
                        }
                    }
                    double overTls = n / ((System.nanoTime() - t0) / 1e9);
                    System.out.printf(Locale.ROOT, "round %d: over TLS, %d per association %.1f obj/s (%.2f ms), %.2f of the "
                            + "plain batched rate%n", round, batch, overTls, 1000 / overTls, overTls / batched);
                    if (round > 1) {
                        tlsRatios.add(overTls / batched);
                    }
                }
                if (round > 1) {
                    singleRatios.add(single / reference);
                    batchedRatios.add(batched / reference);
                }
                best[0] = Math.max(best[0], reference);
                best[1] = Math.max(best[1], single);
                best[2] = Math.max(best[2], batched);
            }
            System.out.printf(Locale.ROOT, "best: PixelMed's SCU %.1f obj/s, no delay %.1f obj/s, no delay %d per association "
                    + "%.1f obj/s; median ratios after warm-up %.2f and %.2f%n", best[0], best[1], batch, best[2],
                    median(singleRatios), median(batchedRatios));
            if (tls) {
                System.out.printf(Locale.ROOT, "over TLS against plain, %d per association: median ratio after warm-up %.2f%n",
                        batch, median(tlsRatios));
            }
        } finally {
            scp.destroyForcibly();
            if (tlsScp != null) {
                tlsScp.destroyForcibly();
            }
        }
    }

    private static double median(List<Double> values) {
        if (values.isEmpty()) {
            return Double.NaN;
        }
        List<Double> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        return sorted.get(sorted.size() / 2);
    }

    /** One object as the export sent it before: PixelMed's storage SCU as it comes, one association. */
    private static void pixelmedOwn(Path file, int port) throws Exception {
        com.pixelmed.dicom.SetOfDicomFiles set = new com.pixelmed.dicom.SetOfDicomFiles();
        set.add(file.toString());
        int[] failed = {0};
        new com.pixelmed.network.StorageSOPClassSCU("localhost", port, "PACS", "RADSTREAM", set, 0,
                new com.pixelmed.network.MultipleInstanceTransferStatusHandler() {
                    @Override
                    public void updateStatus(int remaining, int completed, int f, int warning, String sop) {
                        failed[0] = f;
                    }
                });
        if (failed[0] > 0) {
            throw new IllegalStateException("not stored: " + file);
        }
    }

    /** A lung result: two ellipsoids, one per side. */
    private static InferenceResult lung(String series, int size, int slices) {
        Mask3D m = new Mask3D(size, size, slices);
        for (int z = 0; z < slices; z++) {
            for (int y = 0; y < size; y++) {
                for (int x = 0; x < size; x++) {
                    double dz = (z - slices / 2.0) / (slices * 0.45);
                    double dy = (y - size / 2.0) / (size * 0.3);
                    double left = (x - size * 0.3) / (size * 0.17);
                    double right = (x - size * 0.7) / (size * 0.17);
                    if (dz * dz + dy * dy + Math.min(left * left, right * right) <= 1) {
                        m.set(x, y, z, true);
                    }
                }
            }
        }
        InferenceResult r = ResultExportIT.result(series, "lung", new Mask3D(16, 12, 3), true);
        r.setMask(new org.radstream.avro.Mask(size, size, slices, java.nio.ByteBuffer.wrap(org.radstream.imaging.Rle.encode(m))));
        r.setSliceCount(slices);
        List<String> uids = new ArrayList<>();
        for (int z = 0; z < slices; z++) {
            uids.add(series + "." + (z + 1));
        }
        r.getGeometry().setSopInstanceUids(uids);
        return r;
    }
}
