package org.forward4j.cli;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import org.forward4j.core.train.EvalRecord;
import org.forward4j.core.train.TrainingListener;

/**
 * What a run shows on the console: one line per evaluation on standard output, and on a terminal a live progress
 * bar on standard error. Off a terminal (a log file, a pipe, CI) there is no bar, only the lines, so logs stay
 * readable. On a terminal the bar is cleared before a line is printed and drawn again after it, so lines never tear
 * through the bar. Skipped steps ({@code non-finite=skip}) are reported as they happen, the first few in full.
 */
public final class ConsoleProgress implements TrainingListener {

    /** Skipped steps reported one by one before the rest are only counted. */
    private static final int SKIPS_SHOWN = 5;

    private final String label;
    private final int epochs;
    private final boolean bar;
    private final boolean lines;
    private final PrintStream out;
    private final PrintStream err;
    private ProgressBar current;
    private int epoch;
    private int done;
    private int perEpoch;
    private long skips;

    /**
     * Creates the console view of a run.
     *
     * @param label what runs, for example {@code lr/optimal}
     * @param epochs the run's epochs
     * @param wantBar whether a bar is wanted at all ({@code progress=false} turns it off)
     * @param lines whether to print a line per evaluation ({@code compare} prints one summary line per run instead)
     * @param out where evaluation lines go
     * @param err where the bar and warnings go
     */
    public ConsoleProgress(String label, int epochs, boolean wantBar, boolean lines, PrintStream out, PrintStream err) {
        this.label = label;
        this.epochs = epochs;
        this.lines = lines;
        this.bar = wantBar && isTerminal(2);
        this.out = out;
        this.err = err;
    }

    /**
     * Whether a file descriptor of this process is a terminal: on Linux its {@code /proc/self/fd} link names a
     * {@code /dev/pts} or {@code /dev/tty} device; elsewhere the JDK's console check (which needs standard input and
     * output to be terminals) stands in.
     *
     * @param fd 0, 1 or 2
     * @return true on a terminal
     */
    static boolean isTerminal(int fd) {
        try {
            String target = Files.readSymbolicLink(Path.of("/proc/self/fd/" + fd)).toString();
            return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty");
        } catch (Exception e) {
            return System.console() != null;
        }
    }

    @Override
    public void epochStarted(int epoch, int firstStep, int steps) {
        this.epoch = epoch;
        this.done = firstStep;
        this.perEpoch = steps;
        openBar();
    }

    private void openBar() {
        if (!bar || current != null) {
            return;
        }
        current = new ProgressBarBuilder().setTaskName(String.format(Locale.ROOT, "%s epoch %d/%d", label, epoch + 1,
                        epochs)).setInitialMax(perEpoch).setStyle(ProgressBarStyle.ASCII).setUpdateIntervalMillis(500)
                .setConsumer(new ConsoleProgressBarConsumer(err)).clearDisplayOnFinish().build();
        current.stepTo(done);
    }

    private void closeBar() {
        if (current != null) {
            current.close();
            current = null;
            err.flush();
        }
    }

    @Override
    public void stepFinished(StepProgress progress) {
        done = progress.stepInEpoch();
        if (current != null) {
            current.stepTo(done);
            current.setExtraMessage(String.format(Locale.ROOT, " loss %s, %,d queries",
                    format(progress.meanTrainLoss()), progress.trainingQueries()));
        }
    }

    @Override
    public void stepSkipped(long step, String reason) {
        skips++;
        if (skips <= SKIPS_SHOWN) {
            print(err, "warning: " + reason + (skips == SKIPS_SHOWN ? " (further skips are only counted)" : ""));
        }
    }

    @Override
    public void evaluated(EvalRecord r) {
        if (!lines) {
            return;
        }
        print(out, String.format(Locale.ROOT,
                "epoch %3d  step %7d  queries %,13d  train loss %s  test loss %s  test acc %s  %.1fs%s", r.epoch(),
                r.step(), r.queries(), format(r.trainLoss()), format(r.testLoss()), format(r.testAccuracy()),
                r.wallSeconds(), skips == 0 ? "" : "  (" + skips + " steps skipped so far)"));
    }

    @Override
    public void epochFinished(int epoch) {
        closeBar();
    }

    /** Prints a line with the bar out of the way, and brings the bar back if the epoch goes on. */
    private void print(PrintStream stream, String line) {
        boolean reopen = current != null && done < perEpoch;
        closeBar();
        stream.println(line);
        stream.flush();
        if (reopen) {
            openBar();
        }
    }

    /** Takes the bar off the screen (after a failure too, so an error line never follows a half-drawn bar). */
    void close() {
        closeBar();
    }

    /**
     * Skipped steps over the whole run.
     *
     * @return the count
     */
    long skips() {
        return skips;
    }

    /** A number to 4 decimals, or {@code -} where there is none yet (NaN). */
    static String format(double v) {
        return Double.isNaN(v) ? "     -" : String.format(Locale.ROOT, "%.4f", v);
    }
}
