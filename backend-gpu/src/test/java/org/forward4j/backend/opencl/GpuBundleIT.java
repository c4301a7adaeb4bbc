package org.forward4j.backend.opencl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Rehearsal of the GPU bundle on this machine, so that it cannot rot between GPU runs: {@code gpu-bundle.sh} builds
 * the folder into {@code target/gpu-bundle} (the folder carried to a GPU machine), and a copy of it in an empty
 * directory runs the check against PoCL with the bundle's own Java runtime and OpenCL loader, in an environment
 * without JAVA_HOME, LD_LIBRARY_PATH or LD_PRELOAD.
 *
 * <p>Skipped (assumption) where there is no PoCL, no way to get the OpenCL loader (apt-get + dpkg-deb, or an installed
 * libOpenCL.so.1), no JDK to link from, or not linux-x86_64. The pom passes the paths as system properties.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class GpuBundleIT {

    private static final long MAX_BYTES = 50L << 20;
    private static final Path VENDORS = Path.of("/etc/OpenCL/vendors");
    private static final Path SYSTEM_LOADER = Path.of("/usr/lib/x86_64-linux-gnu/libOpenCL.so.1");
    private static final String SMALL = "--shape 64-32-10 --batch 64 --queries 4 --seconds 1 --label CPU-OpenCL";

    private static Path script;
    private static Path bundle;
    private static Path work;
    private static Path poclCache;
    private static Path poclIcd;
    private static Path copy;

    @BeforeAll
    static void buildTheBundle() throws IOException {
        assumeTrue(System.getProperty("os.name").equals("Linux")
                && System.getProperty("os.arch").equals("amd64"), "the bundle is for linux-x86_64");
        Optional<Path> pocl = poclIcd();
        assumeTrue(pocl.isPresent(), "no PoCL: no " + VENDORS + "/*.icd naming libpocl (apt-get install "
                + "pocl-opencl-icd ocl-icd-libopencl1)");
        assumeTrue(onPath("apt-get") && onPath("dpkg-deb") || Files.exists(SYSTEM_LOADER),
                "no apt-get/dpkg-deb to download the OpenCL loader, and no installed " + SYSTEM_LOADER);
        Path javaHome = Path.of(System.getProperty("java.home"));
        assumeTrue(Files.isExecutable(javaHome.resolve("bin/jlink")), "java.home " + javaHome + " has no jlink");
        assumeTrue(Files.isDirectory(javaHome.resolve("jmods")) || Runtime.version().feature() >= 24,
                "java.home " + javaHome + " has no jmods to link a runtime from");
        poclIcd = pocl.get();
        script = Path.of(property("gpu.bundle.script"));
        bundle = Path.of(property("gpu.bundle.out"));
        work = Path.of(property("gpu.bundle.work"));
        poclCache = Path.of(property("gpu.bundle.pocl-cache"));
        deleteTree(work);
        Files.createDirectories(work);
        Files.createDirectories(poclCache);

        Run built = run(work.resolve("build.log"), 300, Map.of("JAVA_HOME", javaHome.toString()), "bash",
                script.toString(), "--lib", property("gpu.bundle.lib"), "--out", bundle.toString(), "--jdk",
                javaHome.toString());
        assertThat(built.status()).as("gpu-bundle.sh exit status; output:%n%s", built.output()).isZero();

        // The rehearsal runs from a copy in an empty directory: nothing may point back into target/gpu-bundle.
        copy = Files.createTempDirectory(work, "rehearsal-").resolve("gpu-bundle");
        try (Stream<Path> files = Files.walk(bundle)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                Files.copy(p, copy.resolve(bundle.relativize(p).toString()), StandardCopyOption.COPY_ATTRIBUTES,
                        LinkOption.NOFOLLOW_LINKS);
            }
        }
        copy = copy.toRealPath();
    }

    /** The copy is another 42 MiB; the logs stay in target/gpu-bundle-it, the bundle in target/gpu-bundle. */
    @AfterAll
    static void deleteTheCopy() throws IOException {
        if (copy != null) {
            deleteTree(copy.getParent());
        }
    }

    @Test
    @Order(1)
    void theBundleIsSmallPlainAndStripped() throws IOException {
        long total = 0;
        List<String> links = new ArrayList<>();
        try (Stream<Path> files = Files.walk(bundle)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                if (Files.isSymbolicLink(p)) {
                    links.add(bundle.relativize(p).toString());
                } else if (Files.isRegularFile(p)) {
                    total += Files.size(p);
                }
            }
        }
        System.out.printf(Locale.ROOT, "gpu bundle: %d bytes (%.1f MiB)%n", total, total / (double) (1L << 20));
        assertThat(total).as("bundle size in bytes").isLessThanOrEqualTo(MAX_BYTES);
        assertThat(links).as("symbolic links (they may not survive the transfer)").isEmpty();
        assertThat(bundle.resolve("run-gpu-check")).isExecutable();
        assertThat(bundle.resolve("runtime/bin/java")).isExecutable();
        assertThat(bundle.resolve("runtime/lib/libjsig.so")).isRegularFile();
        assertThat(bundle.resolve("opencl/libOpenCL.so.1")).isRegularFile();
        assertThat(bundle.resolve("runtime/include")).doesNotExist();
        assertThat(bundle.resolve("runtime/man")).doesNotExist();

        String release = Files.readString(bundle.resolve("runtime/release"), StandardCharsets.UTF_8);
        assertThat(release).contains("java.base").contains("java.logging").contains("jdk.unsupported")
                .doesNotContain("java.desktop");

        List<Path> jars;
        try (Stream<Path> s = Files.list(bundle.resolve("lib"))) {
            jars = s.filter(p -> p.toString().endsWith(".jar")).sorted().toList();
        }
        assertThat(jars).anyMatch(p -> p.getFileName().toString().startsWith("forward4j-backend-gpu-"));
        assertThat(jars).as("the ND4J stack is not needed at run time")
                .noneMatch(p -> p.getFileName().toString().matches("(nd4j|javacpp).*"));
        List<String> natives = new ArrayList<>();
        for (Path jar : jars) {
            try (ZipFile z = new ZipFile(jar.toFile())) {
                z.stream().map(e -> e.getName()).filter(n -> n.matches(".*\\.(so|dll|dylib|jnilib)(\\..*)?"))
                        .forEach(n -> natives.add(jar.getFileName() + "!" + n));
            }
        }
        assertThat(natives).as("native libraries in the jars").hasSize(1)
                .allMatch(n -> n.startsWith("aparapi-jni-") && n.endsWith("!linux/libaparapi_x86_64.so"));
    }

    @Test
    @Order(2)
    void aCopyRunsTheCheckOnPoclWithItsOwnRuntimeAndLoader() {
        Run r = launch("rehearsal.log", 480, concat(List.of("--icd", poclIcd.toString(), "--", "--device-type", "cpu"),
                SMALL.split(" ")));
        assertThat(r.status()).as("exit status; output:%n%s", r.output()).isZero();
        assertThat(r.output()).contains("parity: PASS").contains("throughput [CPU-OpenCL]: mlp 64-32-10 (relu)")
                .contains("LR activation plan: forward + in-kernel noise")
                .contains("java.home=" + copy.resolve("runtime"))
                .contains("LD_PRELOAD=" + copy.resolve("runtime/lib/libjsig.so"));
        String libs = r.output().lines().filter(l -> l.startsWith("OpenCL libraries loaded: ")).findFirst()
                .orElseThrow(() -> new AssertionError("no 'OpenCL libraries loaded' line in:\n" + r.output()));
        List<String> loaders = Arrays.stream(libs.substring(libs.indexOf(':') + 1).split(","))
                .map(String::trim).filter(l -> l.contains("/libOpenCL.so")).toList();
        assertThat(loaders).as("OpenCL loaders mapped (%s)", libs)
                .containsExactly(copy.resolve("opencl/libOpenCL.so.1").toString());
        assertThat(libs).contains("libpocl");
    }

    @Test
    @Order(3)
    void noGpuDeviceIsOneLineAndStatus2() {
        Run r = launch("no-gpu.log", 120, List.of("--icd", poclIcd.toString(), "--", "--device-type", "gpu"));
        assertThat(r.status()).as("exit status; output:%n%s", r.output()).isEqualTo(2);
        assertThat(r.output().lines()).as("output").hasSize(1);
        assertThat(r.output()).startsWith("gpu-check: The opencl backend cannot run here: no OpenCL device matches "
                + "device-type=gpu; devices found: [");
    }

    @Test
    @Order(4)
    void noNvidiaDriverIsOneLineAndStatus2() {
        assumeFalse(nvidiaOpenClInstalled(), "this machine has an NVIDIA OpenCL driver");
        Run r = launch("no-driver.log", 60, List.of("--", "--device-type", "gpu", "--label", "H200"));
        assertThat(r.status()).as("exit status; output:%n%s", r.output()).isEqualTo(2);
        assertThat(r.output().lines()).as("output").hasSize(1);
        assertThat(r.output()).startsWith("gpu-check: no NVIDIA OpenCL driver found (looked for "
                + "libnvidia-opencl.so.1 in /usr/lib/x86_64-linux-gnu ").contains("or pass --icd FILE");
    }

    @Test
    @Order(5)
    void theDriverSearchTakesTheFirst64BitX86LibraryOnLdLibraryPath() throws IOException {
        // A 32-bit library and a file that is no library come first; the versioned 64-bit file is the one to take.
        Path dirs = Files.createTempDirectory(work, "drivers-");
        Path i386 = Files.createDirectories(dirs.resolve("i386"));
        Path junk = Files.createDirectories(dirs.resolve("junk"));
        Path amd64 = Files.createDirectories(dirs.resolve("amd64"));
        byte[] elf32 = new byte[64];
        System.arraycopy(new byte[] {0x7f, 'E', 'L', 'F', 1, 1, 1}, 0, elf32, 0, 7);
        elf32[18] = 3; // e_machine EM_386
        Files.write(i386.resolve("libnvidia-opencl.so.1"), elf32);
        Files.writeString(junk.resolve("libnvidia-opencl.so.1"), "not a library\n");
        Path real = amd64.resolve("libnvidia-opencl.so.550.54.15");
        Files.copy(copy.resolve("opencl/libOpenCL.so.1"), real);
        Run r = run(work.resolve("find-driver.log"), 60,
                Map.of("LD_LIBRARY_PATH", i386 + ":" + junk + ":" + amd64), "bash",
                copy.resolve("run-gpu-check").toString(), "--find-driver");
        assertThat(r.status()).as("exit status; output:%n%s", r.output()).isZero();
        assertThat(r.output().strip()).isEqualTo(real.toString());
    }

    @Test
    @Order(6)
    void aMissingIcdOrBadOptionIsOneLineAndStatus2() {
        Run r = launch("bad-icd.log", 60, List.of("--icd", "/nonexistent/vendor.icd"));
        assertThat(r.status()).as("exit status; output:%n%s", r.output()).isEqualTo(2);
        assertThat(r.output().lines()).as("output").hasSize(1);
        assertThat(r.output()).startsWith("gpu-check: OpenCL driver '/nonexistent/vendor.icd' (from --icd or "
                + "FORWARD4J_OPENCL_ICD) not found");
        Run o = launch("bad-option.log", 60, List.of("--icd", poclIcd.toString(), "--", "--batch", "many"));
        assertThat(o.status()).as("exit status; output:%n%s", o.output()).isEqualTo(2);
        assertThat(o.output().strip()).isEqualTo("gpu-check: --batch 'many' must be a positive integer");
    }

    // ------------------------------------------------------------------ helpers

    private record Run(int status, String output) {
    }

    /** Runs the copy's launcher from an empty working directory. */
    private static Run launch(String log, int timeoutSeconds, List<String> args) {
        List<String> command = new ArrayList<>(List.of("bash", copy.resolve("run-gpu-check").toString()));
        command.addAll(args);
        return run(work.resolve(log), timeoutSeconds, Map.of(), command.toArray(new String[0]));
    }

    /**
     * Runs a command in a fresh empty directory with a minimal environment (no JAVA_HOME, LD_LIBRARY_PATH,
     * LD_PRELOAD, OCL_ICD_VENDORS), standard output and error together into {@code log}.
     */
    private static Run run(Path log, int timeoutSeconds, Map<String, String> env, String... command) {
        try {
            Path cwd = Files.createTempDirectory(work, "cwd-");
            Path tmp = Files.createDirectories(work.resolve("tmp"));
            ProcessBuilder pb = new ProcessBuilder(command).directory(cwd.toFile()).redirectErrorStream(true)
                    .redirectOutput(log.toFile());
            Map<String, String> e = pb.environment();
            e.clear();
            e.put("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
            e.put("HOME", cwd.toString());
            e.put("TMPDIR", tmp.toString());
            e.put("LANG", "C.UTF-8");
            // PoCL caches compiled kernels; the module's unit tests compiled the same kernel into this folder.
            e.put("POCL_CACHE_DIR", poclCache.toString());
            e.putAll(env);
            long t0 = System.nanoTime();
            Process p = pb.start();
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                fail("%s did not finish in %d s; output so far:%n%s", String.join(" ", command), timeoutSeconds,
                        Files.readString(log, StandardCharsets.UTF_8));
            }
            String output = Files.readString(log, StandardCharsets.UTF_8);
            System.out.printf(Locale.ROOT, "$ %s  (exit %d, %.1f s)%n%s%n", String.join(" ", command), p.exitValue(),
                    (System.nanoTime() - t0) / 1e9, output);
            return new Run(p.exitValue(), output);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    private static Optional<Path> poclIcd() {
        if (!Files.isDirectory(VENDORS)) {
            return Optional.empty();
        }
        try (Stream<Path> s = Files.list(VENDORS)) {
            return s.filter(p -> p.toString().endsWith(".icd")).sorted().filter(p -> {
                try {
                    return Files.readString(p, StandardCharsets.UTF_8).contains("libpocl");
                } catch (IOException e) {
                    return false;
                }
            }).findFirst();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** Whether the launcher could find NVIDIA's OpenCL driver here (then it would not report its absence). */
    private static boolean nvidiaOpenClInstalled() {
        List<Path> dirs = new ArrayList<>();
        for (String d : List.of("/usr/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu/nvidia/current", "/usr/lib64",
                "/usr/lib64/nvidia", "/usr/local/nvidia/lib64", "/usr/local/nvidia/lib",
                "/run/nvidia/driver/usr/lib/x86_64-linux-gnu", "/run/nvidia/driver/usr/lib64", "/lib/x86_64-linux-gnu",
                "/lib64", "/usr/lib")) {
            dirs.add(Path.of(d));
        }
        for (String parent : List.of("/usr/lib", "/usr/lib64")) {
            try (Stream<Path> s = Files.list(Path.of(parent))) {
                s.filter(p -> p.getFileName().toString().startsWith("nvidia")).forEach(dirs::add);
            } catch (IOException e) {
                // no such directory
            }
        }
        for (Path dir : dirs) {
            try (Stream<Path> s = Files.list(dir)) {
                if (s.anyMatch(p -> p.getFileName().toString().startsWith("libnvidia-opencl.so"))) {
                    return true;
                }
            } catch (IOException e) {
                // not there
            }
        }
        for (String ldconfig : List.of("/sbin/ldconfig", "/usr/sbin/ldconfig")) {
            if (Files.isExecutable(Path.of(ldconfig))) {
                try {
                    Process p = new ProcessBuilder(ldconfig, "-p").redirectErrorStream(true).start();
                    String cache = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                    p.waitFor(30, TimeUnit.SECONDS);
                    return cache.contains("libnvidia-opencl.so") || Files.exists(VENDORS.resolve("nvidia.icd"));
                } catch (IOException e) {
                    break;
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
        }
        return Files.exists(VENDORS.resolve("nvidia.icd"));
    }

    private static boolean onPath(String tool) {
        return Stream.of(System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":"))
                .anyMatch(d -> !d.isEmpty() && Files.isExecutable(Path.of(d, tool)));
    }

    private static String property(String name) {
        String v = System.getProperty(name);
        if (v == null || v.isBlank()) {
            throw new IllegalStateException("system property " + name + " is not set; backend-gpu/pom.xml's failsafe "
                    + "configuration passes it (run through mvn verify)");
        }
        return v;
    }

    private static List<String> concat(List<String> a, String... b) {
        List<String> all = new ArrayList<>(a);
        all.addAll(List.of(b));
        return all;
    }

    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : (Iterable<Path>) s.sorted(Comparator.reverseOrder())::iterator) {
                Files.delete(p);
            }
        }
    }
}
