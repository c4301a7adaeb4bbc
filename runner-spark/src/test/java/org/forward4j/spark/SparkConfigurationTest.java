package org.forward4j.spark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.forward4j.plugin.InvalidConfigurationException;
import org.forward4j.plugin.Settings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bad cluster configuration is one clear error before any step runs. */
class SparkConfigurationTest {

    @Test
    void noMasterIsOneErrorLineWithTheConfigurationExitStatus(@TempDir Path dir) {
        PrintStream err = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        int status;
        try {
            System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
            status = SparkTrain.run("--train-limit", "64", "-e", "1", "--no-progress", "-o",
                    dir.resolve("run").toString());
        } finally {
            System.setErr(err);
            System.clearProperty("forward4j.runner");
        }
        String text = captured.toString(StandardCharsets.UTF_8);
        assertThat(status).as(text).isEqualTo(2);
        assertThat(text).contains("error: runner=spark has no Spark master: submit with spark-submit --master "
                + "spark://<host>:7077 (or local[N]), or set forward4j.runner.master");
    }

    @Test
    void morePartitionsThanCoresIsRefused() {
        JavaSparkContext jsc = new JavaSparkContext(new SparkConf().setMaster("local[2]").setAppName("config-test")
                .set("spark.ui.enabled", "false").set("spark.driver.host", "127.0.0.1"));
        try {
            RunnerSettings s = RunnerSettings.from(Settings.of(Map.of("forward4j.runner.partitions", "3")));
            assertThatThrownBy(() -> Cluster.attach(jsc, s)).isInstanceOf(InvalidConfigurationException.class)
                    .hasMessage("runner=spark: forward4j.runner.partitions=3 but the cluster has 2 executor cores "
                            + "(local[2]): the tasks of a step would wait for each other; lower "
                            + "forward4j.runner.partitions to at most 2 or add cores");
        } finally {
            jsc.stop();
        }
    }

    @Test
    void unknownOrInvalidRunnerSettingsAreListedTogether() {
        assertThatThrownBy(() -> RunnerSettings.from(Settings.of(Map.of("forward4j.runner.partitons", "2",
                "forward4j.runner.exchange", "gossip"))))
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessageContaining("partitons").hasMessageContaining("gossip");
    }
}
