package org.forward4j.spark;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * A Spark standalone cluster on 127.0.0.1 started from the Maven jars, as the tests need it: a master and worker
 * processes ({@code java -cp <spark jars> org.apache.spark.deploy.master.Master / worker.Worker}), with a
 * {@code SPARK_HOME} whose {@code jars/} links to the provided-scope jars (the worker starts executors from it),
 * {@code SPARK_SCALA_VERSION=2.13} and {@code SPARK_LOCAL_IP=127.0.0.1}. Jobs are submitted with
 * {@code org.apache.spark.deploy.SparkSubmit}. When it cannot start, the calling test is skipped with the reason.
 */
final class StandaloneCluster implements AutoCloseable {

    private final Path dir;
    private final Path home;
    private final List<Process> processes = new ArrayList<>();
    private final List<Process> workers = new ArrayList<>();
    private final int port;
    private final int webPort;

    private StandaloneCluster(Path dir, Path home, int port, int webPort) {
        this.dir = dir;
        this.home = home;
        this.port = port;
        this.webPort = webPort;
    }

    static Path jars() {
        String jars = System.getProperty("forward4j.spark.jars");
        assumeTrue(jars != null && Files.isDirectory(Path.of(jars)), "the Spark jars (target/spark-jars) are copied "
                + "at package time; run the integration tests with 'mvn verify' (forward4j.spark.jars=" + jars + ")");
        return Path.of(jars);
    }

    static List<String> opens() {
        return Arrays.asList(System.getProperty("forward4j.spark.opens", "").trim().split("\\s+"));
    }

    static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    /**
     * Starts a master and {@code workers} workers of one core each.
     *
     * @param dir a scratch directory
     * @param workers how many workers
     * @param workerMemory memory each worker offers, e.g. {@code 3g}
     * @return the running cluster
     */
    static StandaloneCluster start(Path dir, int workers, String workerMemory) throws Exception {
        Path jars = jars();
        Path home = Files.createDirectories(dir.resolve("spark-home"));
        Files.createSymbolicLink(home.resolve("jars"), jars);
        StandaloneCluster c = new StandaloneCluster(dir, home, freePort(), freePort());
        try {
            c.processes.add(c.launch("master", List.of("org.apache.spark.deploy.master.Master", "--host", "127.0.0.1",
                    "--port", Integer.toString(c.port), "--webui-port", Integer.toString(c.webPort))));
            c.awaitPort(c.port, 90);
            for (int w = 0; w < workers; w++) {
                Path work = Files.createDirectories(dir.resolve("worker-" + w));
                Process p = c.launch("worker-" + w, List.of("org.apache.spark.deploy.worker.Worker", "--host",
                        "127.0.0.1", "--cores", "1", "--memory", workerMemory, "--webui-port",
                        Integer.toString(freePort()), "--work-dir", work.toString(), c.url()));
                c.processes.add(p);
                c.workers.add(p);
            }
            c.awaitWorkers(workers, 120);
            return c;
        } catch (Exception | AssertionError e) {
            c.close();
            throw e;
        }
    }

    String url() {
        return "spark://127.0.0.1:" + port;
    }

    private ProcessBuilder env(ProcessBuilder pb) {
        pb.environment().keySet().removeIf(k -> k.startsWith("FORWARD4J_") || k.startsWith("SPARK_"));
        pb.environment().put("SPARK_HOME", home.toString());
        pb.environment().put("SPARK_SCALA_VERSION", "2.13");
        pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
        pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
        return pb;
    }

    private Process launch(String name, List<String> mainAndArgs) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(java(), "-Xmx384m"));
        cmd.addAll(opens());
        cmd.addAll(List.of("-cp", home.resolve("jars") + "/*"));
        cmd.addAll(mainAndArgs);
        return env(new ProcessBuilder(cmd)).redirectErrorStream(true).redirectOutput(dir.resolve(name + ".log")
                .toFile()).start();
    }

    private void awaitPort(int p, int seconds) throws Exception {
        long end = System.nanoTime() + seconds * 1_000_000_000L;
        while (System.nanoTime() < end) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", p), 500);
                return;
            } catch (IOException e) {
                Thread.sleep(300);
            }
        }
        assumeTrue(false, "the Spark master did not open port " + p + " within " + seconds + " s:\n" + log("master"));
    }

    private void awaitWorkers(int n, int seconds) throws Exception {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        long end = System.nanoTime() + seconds * 1_000_000_000L;
        String last = "";
        while (System.nanoTime() < end) {
            try {
                last = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + webPort + "/json/")).build(),
                        HttpResponse.BodyHandlers.ofString()).body();
                if (last.replace(" ", "").contains("\"aliveworkers\":" + n)) {
                    return;
                }
            } catch (IOException e) {
                last = e.toString();
            }
            Thread.sleep(500);
        }
        assumeTrue(false, n + " Spark workers did not register within " + seconds + " s (master says " + last
                + "):\n" + log("worker-0"));
    }

    String log(String name) {
        try {
            return Files.readString(dir.resolve(name + ".log"), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    /**
     * Starts {@code spark-submit} (client mode: the driver is that process) with this cluster as master.
     *
     * @param submitArgs spark-submit's options, the application jar and its arguments
     * @param log where its output goes
     * @return the process
     */
    Process submit(List<String> submitArgs, Path log) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(java(), "-Xmx1g"));
        cmd.addAll(opens());
        String cache = System.getProperty("org.bytedeco.javacpp.cachedir");
        if (cache != null) {
            cmd.add("-Dorg.bytedeco.javacpp.cachedir=" + cache);
        }
        cmd.addAll(List.of("-cp", home.resolve("jars") + "/*", "org.apache.spark.deploy.SparkSubmit", "--master",
                url(), "--conf", "spark.driver.host=127.0.0.1", "--conf", "spark.ui.enabled=false"));
        if (cache != null) {
            cmd.addAll(List.of("--conf", "spark.executor.extraJavaOptions=-Dorg.bytedeco.javacpp.cachedir=" + cache));
        }
        cmd.addAll(submitArgs);
        return env(new ProcessBuilder(cmd)).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    /**
     * The executor processes the workers started.
     *
     * @return their handles
     */
    List<ProcessHandle> executors() {
        List<ProcessHandle> out = new ArrayList<>();
        for (Process w : workers) {
            w.toHandle().descendants().filter(h -> h.info().commandLine().map(c -> c.contains(
                    "CoarseGrainedExecutorBackend")).orElse(false)).forEach(out::add);
        }
        return out;
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
            return s.getLocalPort();
        }
    }

    @Override
    public void close() {
        for (int i = processes.size() - 1; i >= 0; i--) {
            Process p = processes.get(i);
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            try {
                p.waitFor(20, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    static Optional<String> read(Path file) {
        try {
            return Optional.of(Files.readString(file, StandardCharsets.UTF_8));
        } catch (IOException e) {
            return Optional.empty();
        }
    }
}
