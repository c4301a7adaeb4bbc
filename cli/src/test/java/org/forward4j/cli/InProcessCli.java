package org.forward4j.cli;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/** One {@code forward4j} call in the test JVM, with what it printed captured: the tests' view of the command line. */
final class InProcessCli {

    /**
     * Exit status, standard output and standard error of one call.
     *
     * @param status the exit status
     * @param out what it printed on standard output
     * @param err what it printed on standard error
     */
    record Call(int status, String out, String err) {
    }

    private InProcessCli() {
    }

    /**
     * Runs {@code forward4j args...} through {@link Forward4jCli#run}, capturing both streams.
     *
     * @param args the arguments
     * @return the status and the output
     */
    static Call cli(String... args) {
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        int status;
        try {
            status = Forward4jCli.run(args);
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
        return new Call(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }
}
