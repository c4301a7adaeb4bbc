package org.forward4j.cli;

import org.forward4j.cli.BenchCommand;
import org.forward4j.cli.compare.CompareCommand;
import org.forward4j.plugin.Forward4jException;
import picocli.CommandLine.Command;
import picocli.CommandLine;

/** The {@code forward4j} command line. */
@Command(name = "forward4j", mixinStandardHelpOptions = true, version = "forward4j 0.1.0-SNAPSHOT",
        description = "Forward learning with optimal query allocation.",
        subcommands = {TrainCommand.class, EvaluateCommand.class, CompareCommand.class, BenchCommand.class,
            PluginsCommand.class})
public final class Forward4jCli {

    private Forward4jCli() {
    }

    /**
     * Runs the CLI; forward4j errors and failed file writes print their message (no stack trace) and exit with
     * status 2.
     *
     * @param args the arguments
     */
    public static void main(String[] args) {
        System.exit(run(args));
    }

    /**
     * Runs the CLI without exiting.
     *
     * @param args the arguments
     * @return the exit status
     */
    public static int run(String... args) {
        CommandLine cl = new CommandLine(new Forward4jCli());
        cl.setExecutionExceptionHandler((e, cmd, parsed) -> {
            if (e instanceof Forward4jException || e instanceof java.io.UncheckedIOException) {
                cmd.getErr().println("error: " + e.getMessage());
                return 2;
            }
            throw e;
        });
        return cl.execute(args);
    }
}
