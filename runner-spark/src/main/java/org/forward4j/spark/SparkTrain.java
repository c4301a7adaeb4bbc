package org.forward4j.spark;

import java.util.ArrayList;
import java.util.List;
import org.forward4j.cli.Forward4jCli;

/**
 * The {@code spark-submit} entry point of the runner-spark assembly: {@code forward4j train} with
 * {@code forward4j.runner=spark}, taking exactly the flags and configuration keys of {@code forward4j train}
 * (a leading {@code train} is optional), so a run moves to a cluster without changing its configuration:
 *
 * <pre>{@code
 * spark-submit --master spark://host:7077 --class org.forward4j.spark.SparkTrain forward4j-spark.jar \
 *     --estimator spsa -q 16 -e 5 -o runs/cluster
 * }</pre>
 *
 * Exit statuses are the command line's (2 for a configuration problem such as a missing master).
 */
public final class SparkTrain {

    private SparkTrain() {
    }

    /**
     * Trains and exits with the command's status.
     *
     * @param args {@code forward4j train} flags
     */
    public static void main(String[] args) {
        System.exit(run(args));
    }

    /**
     * Trains without exiting.
     *
     * @param args {@code forward4j train} flags
     * @return the exit status
     */
    static int run(String... args) {
        List<String> a = new ArrayList<>(List.of(args));
        if (!a.isEmpty() && a.get(0).equals("train")) {
            a.remove(0);
        }
        a.add(0, "train");
        if (System.getProperty("forward4j.runner") == null) {
            System.setProperty("forward4j.runner", SparkTrainingRunner.NAME);
        }
        return Forward4jCli.run(a.toArray(String[]::new));
    }
}
