package org.forward4j.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.forward4j.cli.compare.CompareCommand;
import org.forward4j.cli.finetune.FinetuneCommand;
import org.forward4j.core.Forward4j;
import org.forward4j.plugin.Forward4jException;
import org.forward4j.plugin.IncompatibleProviderException;
import org.forward4j.plugin.PluginContractException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/**
 * The {@code forward4j} command line. Every failure ends in one {@code error:} line and an exit status that says
 * which kind of failure it was (stack traces only with {@code --verbose}):
 * <ul>
 *   <li>0: done;</li>
 *   <li>2: usage, configuration or data ({@link #USER}): a bad option, setting, dataset or output directory;</li>
 *   <li>3: input/output ({@link #IO}): a file or directory that cannot be read or written, a full disk;</li>
 *   <li>4: plugin ({@link #PLUGIN}): a plugin broke its contract or failed to start, or {@code plugins} found broken
 *       plugin jars;</li>
 *   <li>5: internal ({@link #INTERNAL}): out of memory, or a bug (please report it with the {@code --verbose}
 *       output).</li>
 * </ul>
 */
@Command(name = "forward4j", mixinStandardHelpOptions = true, version = "forward4j 0.1.0-SNAPSHOT",
        description = "Forward learning with optimal query allocation.",
        subcommands = {TrainCommand.class, PretrainCommand.class, EvaluateCommand.class, CompareCommand.class,
            FinetuneCommand.class, BenchCommand.class,
            PluginsCommand.class},
        exitCodeListHeading = "Exit status:%n",
        exitCodeList = {"0:done", "2:usage, configuration or data error", "3:input/output error (files, disk)",
            "4:plugin error (contract broken, failed to start, broken plugin jars)",
            "5:internal error (out of memory, bug)"})
public final class Forward4jCli {

    /** Exit status of a usage, configuration or data error. */
    public static final int USER = 2;
    /** Exit status of an input/output error. */
    public static final int IO = 3;
    /** Exit status of a plugin error. */
    public static final int PLUGIN = 4;
    /** Exit status of an internal error. */
    public static final int INTERNAL = 5;

    @Option(names = {"-v", "--verbose"}, scope = ScopeType.INHERIT,
            description = "print the stack trace of an error, not only its message")
    boolean verbose;

    @Option(names = "--plugins", scope = ScopeType.INHERIT, split = ":", paramLabel = "PATH",
            description = "plugin jars or folders of jars, ':'-separated (also FORWARD4J_PLUGINS, and the "
                    + "installation's plugins/ folder)")
    List<Path> plugins = new ArrayList<>();

    private ClassLoader pluginLoader;

    private Forward4jCli() {
    }

    /**
     * The class loader plugins are discovered with: the application's, plus every plugin jar of
     * {@link PluginPath}.
     *
     * @return the loader (the same for the whole invocation)
     */
    public ClassLoader pluginLoader() {
        if (pluginLoader == null) {
            String home = System.getProperty("forward4j.home");
            pluginLoader = PluginPath.loader(PluginPath.jars(plugins, System.getenv(),
                    home == null ? null : Path.of(home)));
        }
        return pluginLoader;
    }

    /**
     * An engine builder that discovers plugins through {@link #pluginLoader()}.
     *
     * @return the builder
     */
    public Forward4j.Builder engine() {
        return Forward4j.builder().classLoader(pluginLoader());
    }

    /**
     * Runs the CLI and exits with its status.
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
        Forward4jCli root = new Forward4jCli();
        CommandLine cl = new CommandLine(root);
        cl.setExecutionExceptionHandler((e, cmd, parsed) -> report(e, root.verbose, cmd.getErr()));
        try {
            return cl.execute(args);
        } catch (OutOfMemoryError e) {
            return report(e, root.verbose, cl.getErr());
        }
    }

    /**
     * Prints one {@code error:} line for a failure (and its stack trace with {@code --verbose}) and returns the
     * exit status of its kind.
     *
     * @param e what was thrown
     * @param verbose whether to print the stack trace
     * @param err where to print
     * @return the exit status
     */
    static int report(Throwable e, boolean verbose, PrintWriter err) {
        err.flush();
        System.out.flush();
        Throwable memory = find(e, OutOfMemoryError.class);
        Throwable forward = find(e, Forward4jException.class);
        Throwable io = find(e, UncheckedIOException.class) != null ? find(e, UncheckedIOException.class)
                : find(e, IOException.class);
        int status;
        String message;
        if (memory != null) {
            long max = Runtime.getRuntime().maxMemory() >> 20;
            status = INTERNAL;
            message = "out of memory (" + memory.getMessage() + ", heap limit " + max + " MB): raise the heap with "
                    + "FORWARD4J_JAVA_OPTS=-Xmx<size> (for example -Xmx16g), or lower the batch size, the queries "
                    + "per point or the model size";
        } else if (forward != null) {
            status = forward instanceof PluginContractException || forward instanceof IncompatibleProviderException
                    ? PLUGIN : USER;
            message = forward.getMessage();
        } else if (io != null) {
            status = IO;
            message = io.getMessage();
        } else {
            status = INTERNAL;
            message = "internal error: " + e + (verbose ? "" : "; rerun with --verbose for the stack trace and "
                    + "please report it");
        }
        err.println("error: " + message);
        if (verbose) {
            err.print(trace(e));
        }
        err.flush();
        return status;
    }

    /** A throwable and its causes with their stack frames, as the JVM would print them. */
    static String trace(Throwable e) {
        StringBuilder b = new StringBuilder();
        String prefix = "";
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            b.append(prefix).append(t).append(System.lineSeparator());
            for (StackTraceElement frame : t.getStackTrace()) {
                b.append("\tat ").append(frame).append(System.lineSeparator());
            }
            prefix = "Caused by: ";
        }
        return b.toString();
    }

    /** The first throwable of a type in the cause chain (suppressed ones aside). */
    private static Throwable find(Throwable e, Class<? extends Throwable> type) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (type.isInstance(t)) {
                return t;
            }
        }
        return null;
    }
}
