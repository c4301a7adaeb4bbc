package org.forward4j.examples.plugins;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.forward4j.allocator.spi.QueryAllocatorProvider;
import org.forward4j.cli.ScenarioProviders;
import org.forward4j.estimator.spi.GradientEstimatorProvider;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The third-party story as a user lives it (docs/writing-a-plugin.md): the standalone Maven project in
 * {@code examples/third-party-plugin} is built offline against the forward4j artifacts in the local repository
 * (running its tck contract tests), and its jar is put on the CLI's classpath in a separate JVM, where a config
 * file selects its allocator and estimator by name.
 *
 * <p>Skipped, with the reason, when {@code mvn} is not on the PATH or the forward4j artifacts have not been
 * installed into the local repository ({@code mvn install} on the reactor does that).
 */
class ThirdPartyPluginTest {

    private static final String VERSION = "0.1.0-SNAPSHOT";
    private static final String CLI = "org.forward4j.cli.Forward4jCli";
    private static final String[] NEEDED = {"forward4j-parent", "forward4j-plugin-api", "forward4j-allocator-api",
        "forward4j-estimator-api", "forward4j-backend-api", "forward4j-tck"};

    private static Path pluginJar;

    private static Path moduleDir() {
        return Path.of(System.getProperty("basedir", System.getProperty("user.dir"))).toAbsolutePath();
    }

    private static Path localRepository() {
        String custom = System.getProperty("maven.repo.local");
        return custom != null ? Path.of(custom) : Path.of(System.getProperty("user.home"), ".m2", "repository");
    }

    private static Path findMaven() {
        String exe = System.getProperty("os.name").startsWith("Windows") ? "mvn.cmd" : "mvn";
        List<Path> candidates = new ArrayList<>();
        for (String home : new String[] {System.getProperty("maven.home"), System.getenv("MAVEN_HOME")}) {
            if (home != null) {
                candidates.add(Path.of(home, "bin", exe));
            }
        }
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            if (!dir.isEmpty()) {
                candidates.add(Path.of(dir, exe));
            }
        }
        return candidates.stream().filter(Files::isExecutable).findFirst().orElse(null);
    }

    /** Runs a command with JAVA_HOME set to this JVM's and no FORWARD4J_* variables; returns exit code and output. */
    private static Object[] run(List<String> command, Path log, long timeoutSeconds) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().keySet().removeIf(k -> k.startsWith("FORWARD4J_"));
        pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
        Process p = pb.start();
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            p.waitFor();
            return new Object[] {-1, "timed out after " + timeoutSeconds + " s: " + command + "\n"
                    + Files.readString(log, StandardCharsets.UTF_8)};
        }
        return new Object[] {p.exitValue(), Files.readString(log, StandardCharsets.UTF_8)};
    }

    @BeforeAll
    static void buildThePluginProjectLikeAUser() throws Exception {
        Path maven = findMaven();
        assumeTrue(maven != null, "mvn is not on the PATH (nor in maven.home / MAVEN_HOME): cannot build "
                + "examples/third-party-plugin");
        for (String artifact : NEEDED) {
            Path pom = localRepository().resolve(Path.of("org", "forward4j", artifact, VERSION,
                    artifact + "-" + VERSION + ".pom"));
            assumeTrue(Files.isRegularFile(pom), "org.forward4j:" + artifact + ":" + VERSION + " is not installed in "
                    + localRepository() + "; run 'mvn install' on the forward4j reactor first (the third-party "
                    + "project resolves forward4j offline from the local repository, as a user's build would)");
        }
        Path source = moduleDir().resolve("third-party-plugin");
        Path build = moduleDir().resolve(Path.of("target", "third-party-plugin"));
        deleteTree(build);
        copyTree(source.resolve("src"), build.resolve("src"));
        Files.copy(source.resolve("pom.xml"), build.resolve("pom.xml"));
        List<String> mvn = new ArrayList<>(List.of(maven.toString(), "-o", "-q", "-B", "-f",
                build.resolve("pom.xml").toString(), "package"));
        if (System.getProperty("maven.repo.local") != null) {
            mvn.add("-Dmaven.repo.local=" + System.getProperty("maven.repo.local"));
        }
        Object[] r = run(mvn, build.resolve("build.log"), 300);
        assertThat((int) r[0]).as("mvn package of the third-party project (tck contract tests included):%n%s", r[1])
                .isZero();
        pluginJar = build.resolve(Path.of("target", "forward4j-example-plugins-1.0.0.jar"));
        assertThat(pluginJar).isRegularFile();
    }

    private static List<String> cli(Path... extraClasspath) {
        StringBuilder cp = new StringBuilder(System.getProperty("java.class.path"));
        for (Path p : extraClasspath) {
            cp.append(File.pathSeparator).append(p);
        }
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx1g"));
        String cache = System.getProperty("org.bytedeco.javacpp.cachedir");
        if (cache != null) {
            cmd.add("-Dorg.bytedeco.javacpp.cachedir=" + cache); // reuse the unpacked ND4J natives
        }
        cmd.addAll(List.of("-cp", cp.toString(), CLI));
        return cmd;
    }

    @Test
    void theCliTrainsWithThePluginsSelectedByNameInAConfigFile(@TempDir Path dir) throws Exception {
        Path config = dir.resolve("forward4j.properties");
        Files.writeString(config, String.join("\n",
                "forward4j.allocator=loss-proportional",
                "forward4j.allocator.exponent=1",
                "forward4j.estimator=forward-diff",
                "forward4j.estimator.scale=1e-3",
                "forward4j.queries-per-point=4",
                "forward4j.batch-size=32",
                "forward4j.epochs=1",
                "forward4j.hidden=16",
                "forward4j.train-limit=256",
                "forward4j.test-limit=200",
                "forward4j.progress=false", ""));
        Path out = dir.resolve("run");
        List<String> cmd = cli(pluginJar);
        cmd.addAll(List.of("train", "--config", config.toString(), "-o", out.toString()));
        Object[] r = run(cmd, dir.resolve("train.log"), 180);
        assertThat((int) r[0]).as("forward4j train with the plugin jar on the classpath:%n%s", r[1]).isZero();
        assertThat((String) r[1]).contains("estimator forward-diff, allocator loss-proportional");
        JsonNode json = new ObjectMapper().readTree(out.resolve("result.json").toFile());
        JsonNode provenance = json.get("provenance");
        assertThat(provenance.get("allocator").asText()).isEqualTo("loss-proportional");
        assertThat(provenance.get("estimator").asText()).isEqualTo("forward-diff");
        assertThat(provenance.get("allocatorSettings").get("exponent").asText()).isEqualTo("1");
        assertThat(provenance.get("independentPerPoint").asBoolean()).isTrue();
        // 256 rows / 32 = 8 steps of exactly 4 queries per point: the plugin's cost model fits the budget
        assertThat(json.get("steps").asLong()).isEqualTo(8);
        assertThat(json.get("trainingQueries").asLong()).isEqualTo(8L * 32 * 4);
        assertThat(json.get("finalTestAccuracy").asDouble()).isBetween(0.0, 1.0);
    }

    @Test
    void pluginsListsTheThirdPartyPluginsAndReportsBrokenOnesWithThePluginExitStatus(@TempDir Path dir)
            throws Exception {
        Path broken = ScenarioProviders.register(dir.resolve("broken-plugins"), QueryAllocatorProvider.class,
                ScenarioProviders.ThrowingAllocatorProvider.class.getName());
        ScenarioProviders.register(broken, GradientEstimatorProvider.class,
                ScenarioProviders.FutureEstimatorProvider.class.getName());
        // the same jar twice (say, copied into two lib folders): ServiceLoader loads a provider class once
        Path copy = Files.copy(pluginJar, dir.resolve("copy-of-the-plugins.jar"));
        List<String> cmd = cli(pluginJar, copy, broken);
        cmd.add("plugins");
        Object[] r = run(cmd, dir.resolve("plugins.log"), 120);
        String output = (String) r[1];
        assertThat((int) r[0]).as("forward4j plugins lists problems, so it exits with 4:%n%s", output).isEqualTo(4);
        assertThat(output).contains("allocators:", "estimators:", "backends:", "problems:")
                .contains("error: 2 plugin problem(s), listed above");
        assertThat(output.lines().filter(l -> l.startsWith("  loss-proportional ")).count())
                .as("loss-proportional listed once:%n%s", output).isEqualTo(1);
        assertThat(output.lines().filter(l -> l.startsWith("  forward-diff ")).count())
                .as("forward-diff listed once:%n%s", output).isEqualTo(1);
        assertThat(output).contains("  uniform ", "  optimal ", "  spsa ", "  lr ")
                .contains("Skipped allocator provider " + ScenarioProviders.ThrowingAllocatorProvider.class.getName())
                .contains("its constructor failed")
                .contains("boom: a dependency of this plugin is missing")
                .contains("Skipped estimator 'future-estimator'")
                .contains("it implements estimator SPI version " + (GradientEstimatorProvider.SPI_VERSION + 1)
                        + " but this engine implements version " + GradientEstimatorProvider.SPI_VERSION)
                .doesNotContain("Two or more");
    }

    /** Runs {@code bin/forward4j} of this checkout with extra environment variables. */
    private static Object[] launcher(Path dir, java.util.Map<String, String> env, String... args) throws Exception {
        Path script = moduleDir().getParent().resolve(Path.of("bin", "forward4j"));
        List<String> cmd = new ArrayList<>(List.of("bash", script.toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(dir.resolve("launcher.log").toFile());
        pb.environment().keySet().removeIf(k -> k.startsWith("FORWARD4J_"));
        pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
        pb.environment().put("PATH", Path.of(System.getProperty("java.home"), "bin") + File.pathSeparator
                + System.getenv().getOrDefault("PATH", ""));
        pb.environment().putAll(env);
        Process p = pb.start();
        assertThat(p.waitFor(180, TimeUnit.SECONDS)).as("bin/forward4j %s finished", String.join(" ", args)).isTrue();
        return new Object[] {p.exitValue(), Files.readString(dir.resolve("launcher.log"), StandardCharsets.UTF_8)};
    }

    @Test
    void theLauncherFindsPluginsByOptionVariableAndFolder(@TempDir Path dir) throws Exception {
        Path script = moduleDir().getParent().resolve(Path.of("bin", "forward4j"));
        Path cliJar = moduleDir().getParent().resolve(Path.of("cli", "target", "forward4j-cli.jar"));
        assumeTrue(Files.isRegularFile(cliJar), "cli/target/forward4j-cli.jar is built by the reactor before this");
        assertThat(script).isRegularFile();
        // the launcher's own variables set, and never read as settings
        java.util.Map<String, String> jvm = java.util.Map.of("FORWARD4J_JAVA_OPTS", "-Xmx1g");
        Object[] byOption = launcher(dir, jvm, "--plugins", pluginJar.toString(), "plugins");
        assertThat((int) byOption[0]).as("--plugins:%n%s", byOption[1]).isZero();
        assertThat((String) byOption[1]).contains("  loss-proportional ", "  forward-diff ");

        Path home = dir.resolve("install");
        Files.createDirectories(home.resolve("plugins"));
        Files.copy(pluginJar, home.resolve("plugins").resolve(pluginJar.getFileName()));
        Object[] byFolder = launcher(dir, java.util.Map.of("FORWARD4J_HOME", home.toString(),
                "FORWARD4J_JAVA_OPTS", "-Xmx1g"), "plugins");
        assertThat((int) byFolder[0]).as("plugins/ folder:%n%s", byFolder[1]).isZero();
        assertThat((String) byFolder[1]).contains("  loss-proportional ", "  forward-diff ");

        Object[] train = launcher(dir, java.util.Map.of("FORWARD4J_PLUGINS", pluginJar.toString(),
                "FORWARD4J_JAVA_OPTS", "-Xmx1g"), "train", "--allocator", "loss-proportional", "--estimator",
                "forward-diff", "-q", "4", "-b", "32", "-e", "1", "--hidden", "16", "--train-limit", "256",
                "--test-limit", "200", "-o", dir.resolve("run").toString());
        assertThat((int) train[0]).as("FORWARD4J_PLUGINS train:%n%s", train[1]).isZero();
        assertThat((String) train[1]).contains("estimator forward-diff, allocator loss-proportional")
                .contains("final test accuracy");
        JsonNode plugins = new ObjectMapper().readTree(dir.resolve("run/result.json").toFile())
                .get("provenance").get("plugins");
        assertThat(plugins.get("allocator").get("location").asText()).endsWith(pluginJar.getFileName().toString());
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
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path f : (Iterable<Path>) files.sorted(Comparator.reverseOrder())::iterator) {
                Files.delete(f);
            }
        }
    }
}
