package org.forward4j.cli;

import java.util.Map;
import java.util.concurrent.Callable;
import org.forward4j.core.Forward4j;
import picocli.CommandLine.Command;

/** {@code forward4j plugins}: lists discovered plugins and discovery problems. */
@Command(name = "plugins", mixinStandardHelpOptions = true,
        description = "List the allocators, estimators and backends on the classpath, and any broken plugin jars.")
public final class PluginsCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        Forward4j f4j = Forward4j.builder().build();
        for (Map.Entry<String, Map<String, String>> kind : f4j.available().entrySet()) {
            System.out.println(kind.getKey() + "s:");
            kind.getValue().forEach((n, d) -> System.out.printf("  %-12s %s%n", n, d));
        }
        if (!f4j.discoveryProblems().isEmpty()) {
            System.out.println("problems:");
            f4j.discoveryProblems().forEach(p -> System.out.println("  " + p));
        }
        return 0;
    }
}
