package org.forward4j.spark;

import org.forward4j.plugin.Settings;

/**
 * The Spark runner's own settings, {@code forward4j.runner.<key>} (validated together; an unknown key fails).
 *
 * @param master the Spark master URL when {@code spark-submit} does not set one ({@code master}; default none)
 * @param partitions tasks per job ({@code partitions}; 0, the default: the cluster's executor cores)
 * @param executors executors to wait for before training ({@code executors}; default 0: whatever has registered,
 *     at least one)
 * @param registerSeconds how long to wait for them ({@code register-timeout}, seconds; default 120)
 * @param exchange {@code auto} (seed replay where the estimator offers direction terms, else parameters each step)
 *     or {@code broadcast} (parameters each step, for comparison)
 * @param rebaseEvery steps between new bases for replica rebuilds ({@code rebase-every}; default 100)
 */
record RunnerSettings(String master, int partitions, int executors, int registerSeconds, Exchange exchange,
                      int rebaseEvery) {

    /** How executors get each step's parameters. */
    enum Exchange {
        /** Seed replay whenever the estimate carries direction terms; parameter broadcast otherwise. */
        AUTO,
        /** Parameter broadcast every step, whatever the estimator. */
        BROADCAST
    }

    /**
     * Reads {@code forward4j.runner.*}.
     *
     * @param all the resolved configuration
     * @return the settings
     * @throws org.forward4j.plugin.InvalidConfigurationException listing every bad or unknown key
     */
    static RunnerSettings from(Settings all) {
        Settings.Reader r = all.withPrefix("forward4j.runner.").reader("runner 'spark' (forward4j.runner.*)");
        String master = r.stringValue("master", "");
        int partitions = r.intValue("partitions", 0, 0, 100_000);
        int executors = r.intValue("executors", 0, 0, 100_000);
        int seconds = r.intValue("register-timeout", 120, 1, 86_400);
        Exchange exchange = r.enumValue("exchange", Exchange.class, Exchange.AUTO);
        int rebase = r.intValue("rebase-every", 100, 1, Integer.MAX_VALUE);
        r.finish();
        return new RunnerSettings(master.isBlank() ? null : master, partitions, executors, seconds, exchange, rebase);
    }
}
