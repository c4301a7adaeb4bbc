package org.forward4j.cli;

import java.util.Map;
import java.util.concurrent.Callable;
import org.forward4j.core.Forward4j;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

/** {@code forward4j plugins}: lists discovered plugins and discovery problems. */
@Command(name = "plugins", mixinStandardHelpOptions = true,
        description = "List the allocators, estimators and backends on the classpath, and any broken plugin jars.")
public final class PluginsCommand implements Callable<Integer> {

    @ParentCommand
    Forward4jCli root;

    /**
     * Lists every plugin; exits with the plugin error status when a plugin jar is broken, so scripts notice.
     *
     * @return 0, or {@link Forward4jCli#PLUGIN} when problems were listed
     */
    @Override
    public Integer call() {
        Forward4j f4j = root.engine().build();
        for (Map.Entry<String, Map<String, String>> kind : f4j.available().entrySet()) {
            System.out.println(kind.getKey() + "s:");
            kind.getValue().forEach((n, d) -> System.out.printf("  %-12s %s%n", n, d));
        }
        if (!f4j.discoveryProblems().isEmpty()) {
            System.out.println("problems:");
            f4j.discoveryProblems().forEach(p -> System.out.println("  " + p));
            System.err.println("error: " + f4j.discoveryProblems().size() + " plugin problem(s), listed above");
            return Forward4jCli.PLUGIN;
        }
        return 0;
    }
}
