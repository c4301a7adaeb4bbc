package org.forward4j.spark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.io.IOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.forward4j.cli.Runs;
import org.forward4j.core.Forward4j;
import org.forward4j.core.model.ModelFile;
import org.forward4j.core.train.Trainer;
import org.forward4j.datasets.DatasetSplit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The runner on a real standalone cluster on this machine: a master and two one-core workers started from the
 * Spark jars, and the runner-spark assembly submitted to it with {@code spark-submit} as a user would, the
 * third-party plugin jar shipped to the executors with {@code --jars}. Each run's final parameters (the model file
 * it writes) must equal, bit for bit, those of the same configuration trained on one machine in this JVM; one run
 * has an executor killed with SIGKILL halfway. Skipped, with the reason, where the cluster cannot start.
 */
class SparkStandaloneIT {

    private static final String VERSION = "0.1.0-SNAPSHOT";
    private static StandaloneCluster cluster;
    private static Path pluginJar;
    private static Path scratch;

    @BeforeAll
    static void startCluster() throws Exception {
        scratch = Files.createTempDirectory("forward4j-spark-it");
        pluginJar = buildThirdPartyPlugin(scratch.resolve("plugin"));
        cluster = StandaloneCluster.start(scratch.resolve("cluster"), 2, "3g");
    }

    @AfterAll
    static void stopCluster() throws IOException {
        if (cluster != null) {
            cluster.close();
        }
        if (!Boolean.getBoolean("forward4j.spark.keep")) {
            deleteTree(scratch);
        }
    }

    private static Path assembly() {
        Path jar = Path.of(System.getProperty("forward4j.spark.assembly", "target/forward4j-spark.jar"));
        assumeTrue(Files.isRegularFile(jar), "the assembly " + jar + " is built at package time (mvn verify)");
        return jar;
    }

    /** Runs spark-submit with the assembly and train flags; returns exit status and output. */
    private static Object[] submit(Path dir, List<String> sparkOptions, List<String> trainArgs,
            java.util.function.Consumer<Path> whileRunning) throws Exception {
        List<String> args = new ArrayList<>(sparkOptions);
        args.addAll(List.of("--class", "org.forward4j.spark.SparkTrain", "--executor-memory", "1g",
                assembly().toString()));
        args.addAll(trainArgs);
        Path log = dir.resolve("submit.log");
        Process p = cluster.submit(args, log);
        if (whileRunning != null) {
            whileRunning.accept(log);
        }
        if (!p.waitFor(420, TimeUnit.SECONDS)) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            return new Object[] {-1, "timed out:\n" + StandaloneCluster.read(log).orElse("")};
        }
        return new Object[] {p.exitValue(), StandaloneCluster.read(log).orElse("")};
    }

    private static Path config(Path dir, Map<String, String> settings) throws IOException {
        StringBuilder b = new StringBuilder();
        settings.forEach((k, v) -> b.append("forward4j.").append(k).append('=').append(v).append('\n'));
        return Files.writeString(dir.resolve("forward4j.properties"), b.toString());
    }

    /** The same configuration trained on one machine, in this JVM. */
    private static float[] singleMachine(Map<String, String> settings, ClassLoader loader) {
        Forward4j f4j = Forward4j.builder().environment(Map.of()).systemProperties(new Properties())
                .classLoader(loader).setAll(settings).build();
        DatasetSplit split = Runs.data(f4j.training(), System.err).split();
        try (Trainer t = Runs.trainer(f4j, split)) {
            return t.fit().parameters();
        }
    }

    @Test
    void thirdPartyPluginsTrainOnTheClusterExactlyAsOnOneMachine(@TempDir Path dir) throws Exception {
        Map<String, String> s = new LinkedHashMap<>();
        s.put("allocator", "loss-proportional");
        s.put("estimator", "forward-diff");
        s.put("queries-per-point", "4");
        s.put("batch-size", "32");
        s.put("epochs", "1");
        s.put("hidden", "16");
        s.put("train-limit", "256");
        s.put("test-limit", "200");
        s.put("progress", "false");
        s.put("learning-rate", "1e-2");
        Path out = dir.resolve("run");
        Object[] r = submit(dir, List.of("--jars", pluginJar.toString()), List.of("--config",
                config(dir, s).toString(), "-D", "runner.executors=2", "-o", out.toString()), null);
        assertThat((int) r[0]).as("spark-submit with the plugin jar:%n%s", r[1]).isZero();
        assertThat((String) r[1]).contains("estimator forward-diff, allocator loss-proportional")
                .contains("runner spark: master " + cluster.url());
        float[] want = singleMachine(s, new URLClassLoader(new URL[] {pluginJar.toUri().toURL()},
                getClass().getClassLoader()));
        SparkLocalTest.assertBitIdentical(want, ModelFile.read(out.resolve(ModelFile.FILE_NAME)).parameters(),
                "forward-diff / loss-proportional on the standalone cluster");
        String result = Files.readString(out.resolve("result.json"), StandardCharsets.UTF_8);
        assertThat(result).contains("\"runner\"").contains("\"name\" : \"spark\"");
    }

    @Test
    void killingAnExecutorMidRunEndsWithTheUninterruptedParameters(@TempDir Path dir) throws Exception {
        Map<String, String> s = new LinkedHashMap<>();
        s.put("estimator", "spsa");
        s.put("queries-per-point", "8");
        s.put("batch-size", "32");
        s.put("epochs", "3");
        s.put("hidden", "32");
        s.put("train-limit", "1024");
        s.put("test-limit", "200");
        s.put("progress", "false");
        s.put("eval-every", "8");
        Path out = dir.resolve("run");
        long[] killed = {-1};
        Object[] r = submit(dir, List.of(), List.of("--config", config(dir, s).toString(), "-D",
                "runner.executors=2", "-D", "runner.rebase-every=10", "-o", out.toString()), log -> {
                    // wait for step 24 of 96 to be reported, then SIGKILL one executor
                    long end = System.nanoTime() + 300_000_000_000L;
                    while (System.nanoTime() < end && killed[0] < 0) {
                        if (StandaloneCluster.read(log).orElse("").contains("step      24")) {
                            List<ProcessHandle> executors = cluster.executors();
                            if (!executors.isEmpty()) {
                                killed[0] = executors.get(0).pid();
                                executors.get(0).destroyForcibly();
                            }
                        }
                        try {
                            Thread.sleep(50);
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                            return;
                        }
                    }
                });
        assertThat(killed[0]).as("an executor was killed mid-run:%n%s", r[1]).isPositive();
        assertThat((int) r[0]).as("spark-submit with an executor killed:%n%s", r[1]).isZero();
        String output = (String) r[1];
        assertThat(output).as("the loss was noticed").containsPattern("(?i)lost executor|executor.*(exited|lost)");
        float[] want = singleMachine(s, getClass().getClassLoader());
        SparkLocalTest.assertBitIdentical(want, ModelFile.read(out.resolve(ModelFile.FILE_NAME)).parameters(),
                "spsa with an executor killed at step 24");
        System.out.println("killed executor " + killed[0] + "; replica rebuilds logged: "
                + output.lines().filter(l -> l.contains("rebuild their replica")).count());
    }

    @Test
    void tooFewExecutorsIsOneClearErrorBeforeTraining(@TempDir Path dir) throws Exception {
        Object[] r = submit(dir, List.of(), List.of("-e", "1", "--train-limit", "64", "--no-progress", "-D",
                "runner.executors=3", "-D", "runner.register-timeout=10", "-o", dir.resolve("run").toString()), null);
        assertThat((int) r[0]).as("%s", r[1]).isEqualTo(2);
        // two register unless the machine is very slow; either way the message names the shortfall
        assertThat((String) r[1]).containsPattern("error: runner=spark: only [0-2] executor\\(s\\) registered with "
                + java.util.regex.Pattern.quote(cluster.url()) + " within 10 s, but 3 are needed");
    }

    // ---- the third-party plugin project, built offline as in examples' ThirdPartyPluginTest ----

    private static Path buildThirdPartyPlugin(Path build) throws Exception {
        Path maven = findMaven();
        assumeTrue(maven != null, "mvn is not on the PATH: cannot build examples/third-party-plugin");
        Path repo = System.getProperty("maven.repo.local") != null ? Path.of(System.getProperty("maven.repo.local"))
                : Path.of(System.getProperty("user.home"), ".m2", "repository");
        for (String artifact : new String[] {"forward4j-parent", "forward4j-allocator-api", "forward4j-estimator-api",
            "forward4j-tck"}) {
            assumeTrue(Files.isRegularFile(repo.resolve(Path.of("org", "forward4j", artifact, VERSION,
                    artifact + "-" + VERSION + ".pom"))), "org.forward4j:" + artifact + " is not installed in " + repo
                    + "; run 'mvn install' on the reactor first");
        }
        Path source = Path.of(System.getProperty("basedir", System.getProperty("user.dir"))).toAbsolutePath()
                .getParent().resolve(Path.of("examples", "third-party-plugin"));
        assumeTrue(Files.isDirectory(source), "examples/third-party-plugin not found at " + source);
        copyTree(source.resolve("src"), build.resolve("src"));
        Files.copy(source.resolve("pom.xml"), build.resolve("pom.xml"));
        List<String> mvn = new ArrayList<>(List.of(maven.toString(), "-o", "-q", "-B", "-DskipTests", "-f",
                build.resolve("pom.xml").toString(), "package"));
        if (System.getProperty("maven.repo.local") != null) {
            mvn.add("-Dmaven.repo.local=" + System.getProperty("maven.repo.local"));
        }
        ProcessBuilder pb = new ProcessBuilder(mvn).redirectErrorStream(true)
                .redirectOutput(build.resolve("build.log").toFile());
        pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
        Process p = pb.start();
        assertThat(p.waitFor(300, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as("mvn package of the third-party plugin:%n%s",
                StandaloneCluster.read(build.resolve("build.log")).orElse("")).isZero();
        Path jar = build.resolve(Path.of("target", "forward4j-example-plugins-1.0.0.jar"));
        assertThat(jar).isRegularFile();
        return jar;
    }

    private static Path findMaven() {
        List<Path> candidates = new ArrayList<>();
        for (String home : new String[] {System.getProperty("maven.home"), System.getenv("MAVEN_HOME")}) {
            if (home != null) {
                candidates.add(Path.of(home, "bin", "mvn"));
            }
        }
        for (String d : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            if (!d.isEmpty()) {
                candidates.add(Path.of(d, "mvn"));
            }
        }
        return candidates.stream().filter(Files::isExecutable).findFirst().orElse(null);
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> files = Files.walk(from)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Path target = to.resolve(from.relativize(f).toString());
                if (Files.isDirectory(f)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(f, target, StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        if (dir == null || !Files.exists(dir)) {
            return;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path f : (Iterable<Path>) files.sorted(Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(f);
            }
        }
    }
}
