package org.radstream.models;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.nn.Block;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.IntFunction;
import java.util.function.IntUnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Versioned model artifacts on a file system:
 *
 * <pre>
 * root/
 *   lung/
 *     v0001/  model-0000.params  metadata.json
 *     v0002/  …
 *     refused/
 *       r0001/  model-0000.params  metadata.json   (a challenger the quality gate refused)
 *   infection-classifier/
 *     v0001/  …
 * </pre>
 *
 * <p>A refused challenger is kept aside under its task's {@code refused/} directory, numbered in
 * the order refused, so that whoever audits a decision, or evaluates the challenger on another
 * cohort, has its weights. It is never a version: {@link #versions} and {@link #latest} (what
 * workers load) do not see it. Its metadata names the version it contended for.
 *
 * <p>An artifact is written into a hidden temporary directory and renamed into place in one step,
 * so readers never see a half-written version, and a version directory that exists is complete.
 * Versions are never overwritten. Loading recomputes the SHA-256 of the parameter file and refuses
 * a mismatch before any weight reaches a network.
 *
 * <p>Thread-safe for readers. Versions of a task are written under its publish lock ({@code
 * <task>/.publish.lock}, an OS file lock, held against other threads and other processes using the
 * same store directory), so that a writer can make its write conditional on the newest version it
 * based its decision on ({@link #save(Model, ModelDescriptor, int)}, {@link #copyAsVersion(URI,
 * int)}): two writers that both decided against v3 cannot both publish over it. Where the file
 * system gives no lock (some network file systems), the lock holds within the JVM only, with a warning.
 */
public final class ModelStore {

    static final String METADATA = "metadata.json";
    static final String PARAMS_PREFIX = "model";
    static final String REFUSED = "refused";
    static final String PUBLISH_LOCK = ".publish.lock";
    /** The {@code over} argument of a write that publishes over whatever version is newest. */
    public static final int ANY_VERSION = -1;
    /** One lock per task directory within this JVM: a file lock is held per process, not per thread. */
    private static final ConcurrentHashMap<Path, ReentrantLock> LOCAL_LOCKS = new ConcurrentHashMap<>();
    /** Task directories whose file lock the file system refused (warned about once each). */
    private static final java.util.Set<Path> UNLOCKABLE = ConcurrentHashMap.newKeySet();
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(ModelStore.class);
    private static final Pattern VERSION_DIR = Pattern.compile("v(\\d{4,9})");
    private static final Pattern REFUSED_DIR = Pattern.compile("r(\\d{4,9})");

    private final Path root;
    private final Clock clock;

    public ModelStore(Path root) {
        this(root, Clock.systemUTC());
    }

    ModelStore(Path root, Clock clock) {
        this.root = root.toAbsolutePath().normalize();
        this.clock = clock;
    }

    /** A store rooted at a {@code file:} URI or a plain path. */
    public static ModelStore at(String location) {
        return new ModelStore(toPath(location.contains(":") && !location.startsWith("/")
                ? URI.create(location) : Path.of(location).toUri()));
    }

    public Path root() {
        return root;
    }

    /** Where version {@code version} of {@code task} lives (whether or not it exists). */
    public URI location(String task, int version) {
        return dir(task, version).toUri();
    }

    private Path dir(String task, int version) {
        return root.resolve(ModelDescriptor.requireTask(task)).resolve(String.format("v%04d", version));
    }

    /**
     * Writes the model's current weights as the next version of its task.
     *
     * @param model a model whose block is an initialised network of a registered architecture
     * @return the new artifact's location and metadata
     */
    public ModelArtifact save(Model model, ModelDescriptor descriptor) throws IOException {
        return save(model, descriptor, ANY_VERSION);
    }

    /**
     * Writes the model's current weights as the next version of its task, provided the task's
     * newest version is still version {@code over} (0: the task has none yet; {@link #ANY_VERSION}:
     * whichever it is). The check and the write are one step under the task's publish lock.
     *
     * @throws SupersededException another version is newest now; nothing was written
     */
    public ModelArtifact save(Model model, ModelDescriptor descriptor, int over) throws IOException {
        Path taskDir = root.resolve(ModelDescriptor.requireTask(descriptor.task()));
        return write(model, descriptor, taskDir, VERSION_DIR, "v%04d", n -> n, over);
    }

    /**
     * Keeps a challenger the quality gate refused aside, as the next {@code refused/rNNNN} of its
     * task, written as atomically as a version. Its metadata's version is the one it contended
     * for (the task's next version when it was refused).
     *
     * @return the kept artifact's location and metadata
     */
    public ModelArtifact keepRefused(Model model, ModelDescriptor descriptor) throws IOException {
        int contendedFor = nextNumber(root.resolve(descriptor.task()), VERSION_DIR);
        return write(model, descriptor, refusedDir(descriptor.task()), REFUSED_DIR, "r%04d",
                n -> contendedFor, ANY_VERSION);
    }

    /** The refused challengers kept for {@code task}, oldest first. */
    public List<ModelArtifact> refused(String task) throws IOException {
        Path dir = refusedDir(task);
        List<ModelArtifact> out = new ArrayList<>();
        for (int n : numbers(dir, REFUSED_DIR)) {
            Path d = dir.resolve(String.format("r%04d", n));
            if (Files.isRegularFile(d.resolve(METADATA))) {
                out.add(new ModelArtifact(d.toUri(), MetadataJson.read(d.resolve(METADATA))));
            }
        }
        return out;
    }

    /**
     * Deletes all but the {@code keep} newest refused challengers of {@code task}.
     *
     * @return the locations deleted, oldest first
     */
    public List<URI> pruneRefused(String task, int keep) throws IOException {
        if (keep < 0) {
            throw new IllegalArgumentException("refused challengers to keep must be >= 0, got " + keep);
        }
        List<ModelArtifact> all = refused(task);
        List<URI> deleted = new ArrayList<>();
        for (ModelArtifact a : all.subList(0, Math.max(0, all.size() - keep))) {
            deleteRecursively(toPath(a.location()));
            deleted.add(a.location());
        }
        return deleted;
    }

    private Path refusedDir(String task) {
        return root.resolve(ModelDescriptor.requireTask(task)).resolve(REFUSED);
    }

    /**
     * Writes the model into a hidden temporary directory under {@code parent}, then renames it to
     * the next free {@code format} number there; {@code versionOf} maps that number to the
     * version the metadata records. A version is placed only over version {@code over}.
     */
    private ModelArtifact write(Model model, ModelDescriptor descriptor, Path parent, Pattern names, String format,
                                IntUnaryOperator versionOf, int over) throws IOException {
        Block block = model.getBlock();
        NetworkSpec network = Architectures.specOf(block);
        if (!block.isInitialized()) {
            throw new IllegalArgumentException("cannot save an uninitialised " + network.architecture());
        }
        Files.createDirectories(parent);
        Path tmp = Files.createDirectory(parent.resolve(".tmp-" + UUID.randomUUID()));
        try {
            model.save(tmp, PARAMS_PREFIX);
            Path params = singleParamsFile(tmp);
            String sha = sha256(params);
            IntFunction<ModelMetadata> metadataOf = number -> new ModelMetadata(descriptor.task(),
                    versionOf.applyAsInt(number), network, descriptor.inputHeight(), descriptor.inputWidth(),
                    descriptor.windowLowHu(), descriptor.windowHighHu(), descriptor.metrics(), clock.instant(),
                    params.getFileName().toString(), sha, descriptor.inputRegion());
            return names == VERSION_DIR ? placeVersion(descriptor.task(), tmp, over, metadataOf)
                    : place(tmp, parent, names, format, metadataOf);
        } finally {
            deleteRecursively(tmp);
        }
    }

    /**
     * Writes the artifact at {@code source} (a version or a kept refused challenger) again as the
     * next version of its task: the same weights, network and metrics under a new version number and
     * creation time. This is how an operator goes back to an earlier version, or ships a challenger
     * the gate refused, with every version still written once and never overwritten. The source's
     * parameter file must still match its checksum.
     *
     * @return the new version
     * @throws ModelIntegrityException when the source's parameter file is missing or altered
     */
    public ModelArtifact copyAsVersion(URI source) throws IOException {
        return copyAsVersion(source, ANY_VERSION);
    }

    /**
     * {@link #copyAsVersion(URI)}, provided the task's newest version is still version {@code over}
     * (as in {@link #save(Model, ModelDescriptor, int)}).
     *
     * @throws SupersededException another version is newest now; nothing was written
     */
    public ModelArtifact copyAsVersion(URI source, int over) throws IOException {
        ModelMetadata from = readMetadata(source);
        Path params = verifiedParams(source, from, "copy");
        Path parent = root.resolve(ModelDescriptor.requireTask(from.task()));
        Files.createDirectories(parent);
        Path tmp = Files.createDirectory(parent.resolve(".tmp-" + UUID.randomUUID()));
        try {
            Files.copy(params, tmp.resolve(params.getFileName()));
            return placeVersion(from.task(), tmp, over, number -> new ModelMetadata(from.task(), number,
                    from.network(), from.inputHeight(), from.inputWidth(), from.windowLowHu(), from.windowHighHu(),
                    from.metrics(), clock.instant(), from.parametersFile(), from.sha256(), from.inputRegion()));
        } finally {
            deleteRecursively(tmp);
        }
    }

    /**
     * Deletes a version that was just written and never announced (its announcement failed), so
     * that the store does not hold a newest version no worker was told of. Not for any other use:
     * a version once announced may be loaded somewhere.
     */
    public void discard(ModelArtifact unannounced) throws IOException {
        Path dir = toPath(unannounced.location());
        if (!dir.getParent().equals(root.resolve(unannounced.metadata().task()))
                || !VERSION_DIR.matcher(dir.getFileName().toString()).matches()) {
            throw new IllegalArgumentException(unannounced.location() + " is not a version of this store");
        }
        underPublishLock(unannounced.metadata().task(), () -> {
            deleteRecursively(dir);
            return null;
        });
    }

    /**
     * Renames {@code tmp} to the task's next version under its publish lock, once the newest
     * version there is still {@code over} (unless {@link #ANY_VERSION}).
     */
    private ModelArtifact placeVersion(String task, Path tmp, int over, IntFunction<ModelMetadata> metadataOf)
            throws IOException {
        Path parent = root.resolve(task);
        return underPublishLock(task, () -> {
            List<Integer> existing = completeVersions(task);
            int newest = existing.isEmpty() ? 0 : existing.get(existing.size() - 1);
            if (over != ANY_VERSION && newest != over) {
                throw new SupersededException(task, over, newest);
            }
            return place(tmp, parent, VERSION_DIR, "v%04d", metadataOf);
        });
    }

    private interface LockedAction<T> {
        T run() throws IOException;
    }

    /**
     * Runs {@code action} holding {@code task}'s publish lock: a lock within this JVM, then the OS
     * lock on {@code <task>/.publish.lock} (released with the channel, also when the process dies).
     */
    private <T> T underPublishLock(String task, LockedAction<T> action) throws IOException {
        Path taskDir = root.resolve(ModelDescriptor.requireTask(task));
        Files.createDirectories(taskDir);
        ReentrantLock local = LOCAL_LOCKS.computeIfAbsent(taskDir, d -> new ReentrantLock());
        local.lock();
        try {
            FileChannel channel = fileLocked(taskDir.resolve(PUBLISH_LOCK));
            try {
                return action.run();
            } finally {
                if (channel != null) {
                    channel.close(); // releases the lock
                }
            }
        } finally {
            local.unlock();
        }
    }

    /**
     * A channel holding the OS lock on {@code file}, or null where the file system gives none (some
     * network file systems refuse locks): publishing then goes on with the lock within this JVM only,
     * as it did before there was a file lock, and says so once per directory rather than stopping
     * every publication of the store.
     */
    private static FileChannel fileLocked(Path file) {
        FileChannel channel = null;
        try {
            channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            channel.lock();
            return channel;
        } catch (IOException e) {
            if (channel != null) {
                try {
                    channel.close();
                } catch (IOException ignored) {
                    // it held nothing
                }
            }
            if (UNLOCKABLE.add(file.getParent())) {
                LOG.warn("model store directory {} cannot be file-locked ({}): versions are written there without the "
                        + "lock between processes; two writers in different processes could both publish over the same "
                        + "version", file.getParent(), e.toString());
            }
            return null;
        }
    }

    /** The version numbers of {@code task} whose directory is complete (holds its metadata), ascending. */
    private List<Integer> completeVersions(String task) throws IOException {
        List<Integer> out = new ArrayList<>();
        for (int version : numbers(root.resolve(task), VERSION_DIR)) {
            if (Files.isRegularFile(dir(task, version).resolve(METADATA))) {
                out.add(version);
            }
        }
        return out;
    }

    /**
     * Renames {@code tmp} (which holds the parameter file) to the next free {@code format} number
     * under {@code parent}, writing {@code metadataOf(number)} into it first; a number another
     * writer took meanwhile is skipped.
     */
    private static ModelArtifact place(Path tmp, Path parent, Pattern names, String format,
                                       IntFunction<ModelMetadata> metadataOf) throws IOException {
        int number = nextNumber(parent, names);
        while (true) {
            ModelMetadata metadata = metadataOf.apply(number);
            MetadataJson.write(metadata, tmp.resolve(METADATA));
            Path target = parent.resolve(String.format(format, number));
            if (!Files.exists(target)) {
                try {
                    Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
                    return new ModelArtifact(target.toUri(), metadata);
                } catch (FileAlreadyExistsException e) {
                    // another writer won this number; take the next one
                } catch (FileSystemException e) {
                    if (!Files.exists(target)) {
                        throw e;
                    }
                }
            }
            number++;
        }
    }

    /** All complete versions of {@code task}, oldest first. */
    public List<ModelArtifact> versions(String task) throws IOException {
        List<ModelArtifact> out = new ArrayList<>();
        for (int version : completeVersions(ModelDescriptor.requireTask(task))) {
            Path dir = dir(task, version);
            out.add(new ModelArtifact(dir.toUri(), MetadataJson.read(dir.resolve(METADATA))));
        }
        return out;
    }

    /** The newest version of {@code task}, if any was published. */
    public Optional<ModelArtifact> latest(String task) throws IOException {
        List<ModelArtifact> all = versions(task);
        return all.isEmpty() ? Optional.empty() : Optional.of(all.get(all.size() - 1));
    }

    /** Reads an artifact's metadata without verifying or loading its weights. */
    public static ModelMetadata readMetadata(URI location) throws IOException {
        Path dir = toPath(location);
        Path file = dir.resolve(METADATA);
        if (!Files.isRegularFile(file)) {
            throw new IOException("no model artifact at " + location + " (missing " + METADATA + ")");
        }
        return MetadataJson.read(file);
    }

    /**
     * Verifies and loads an artifact on {@code device}: checks the parameter file's SHA-256
     * against the metadata, rebuilds the block from the recorded architecture and loads the
     * weights into it.
     *
     * @throws ModelIntegrityException when the checksum does not match, the metadata is invalid
     *     or the weights do not fit the architecture
     */
    public static StoredModel load(URI location, Device device) throws IOException {
        Path dir = toPath(location);
        ModelMetadata metadata = readMetadata(location);
        verifiedParams(location, metadata, "load");
        Block block;
        try {
            block = Architectures.build(metadata.network());
        } catch (IllegalArgumentException e) {
            throw new ModelIntegrityException("artifact " + location + " names an unusable network: "
                    + e.getMessage(), e);
        }
        String prefix = paramsPrefix(metadata.parametersFile());
        Model model = Model.newInstance(metadata.task() + "-v" + metadata.version(), device);
        try {
            model.setBlock(block);
            model.load(dir, prefix);
        } catch (MalformedModelException | RuntimeException e) {
            model.close();
            throw new ModelIntegrityException("weights of " + location + " do not fit "
                    + metadata.network() + ": " + e.getMessage(), e);
        } catch (IOException e) {
            model.close();
            throw e;
        }
        try {
            ConvolutionCheck.verify(block, device, metadata.task() + " v" + metadata.version());
        } catch (RuntimeException e) {
            model.close();
            throw e;
        }
        return new StoredModel(model, new ModelArtifact(dir.toUri(), metadata));
    }

    /** The artifact's parameter file, once it is there and hashes to the recorded checksum. */
    private static Path verifiedParams(URI location, ModelMetadata metadata, String refusingTo) throws IOException {
        Path dir = toPath(location);
        Path params = dir.resolve(metadata.parametersFile()).normalize();
        if (!params.getParent().equals(dir.normalize()) || !Files.isRegularFile(params)) {
            throw new ModelIntegrityException("parameter file '" + metadata.parametersFile()
                    + "' of " + location + " is missing");
        }
        String actual = sha256(params);
        if (!actual.equalsIgnoreCase(metadata.sha256())) {
            throw new ModelIntegrityException("checksum mismatch for " + params + ": metadata says "
                    + metadata.sha256() + ", file has " + actual + "; refusing to " + refusingTo + " "
                    + metadata.task() + " v" + metadata.version());
        }
        return params;
    }

    /** Loads on the CPU. */
    public static StoredModel load(URI location) throws IOException {
        return load(location, Device.cpu());
    }

    static String sha256(Path file) throws IOException {
        MessageDigest digest;
        try {
            digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
        try (InputStream in = new DigestInputStream(Files.newInputStream(file), digest)) {
            in.transferTo(java.io.OutputStream.nullOutputStream());
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    private static String paramsPrefix(String fileName) throws ModelIntegrityException {
        Matcher m = Pattern.compile("(.+)-\\d{4}\\.params").matcher(fileName);
        if (!m.matches()) {
            throw new ModelIntegrityException("unexpected parameter file name '" + fileName + "'");
        }
        return m.group(1);
    }

    static Path toPath(URI location) {
        if (location.getScheme() == null || !"file".equalsIgnoreCase(location.getScheme())) {
            throw new IllegalArgumentException("only file: model locations are supported, got "
                    + location);
        }
        return Path.of(location).toAbsolutePath().normalize();
    }

    private static int nextNumber(Path dir, Pattern names) throws IOException {
        List<Integer> existing = numbers(dir, names);
        return existing.isEmpty() ? 1 : existing.get(existing.size() - 1) + 1;
    }

    private static List<Integer> numbers(Path dir, Pattern names) throws IOException {
        List<Integer> out = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return out;
        }
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(dir, Files::isDirectory)) {
            for (Path d : dirs) {
                Matcher m = names.matcher(d.getFileName().toString());
                if (m.matches()) {
                    out.add(Integer.parseInt(m.group(1)));
                }
            }
        }
        out.sort(Comparator.naturalOrder());
        return out;
    }

    private static Path singleParamsFile(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            List<Path> params = files.filter(p -> p.getFileName().toString().endsWith(".params"))
                    .toList();
            if (params.size() != 1) {
                throw new IOException("expected one parameter file in " + dir + ", found " + params);
            }
            return params.get(0);
        }
    }

    private static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.delete(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }
}
