package org.forward4j.benchmarks;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * The machine a benchmark ran on, for the header of its table.
 *
 * @param cores processors available to the JVM
 * @param cpuModel the first {@code model name} of {@code /proc/cpuinfo} ({@code unknown} elsewhere)
 * @param jvm VM name, vendor and Java version
 * @param os OS name, version and architecture
 * @param maxHeapBytes the JVM's maximum heap
 */
public record MachineInfo(int cores, String cpuModel, String jvm, String os, long maxHeapBytes) {

    /**
     * Describes this machine.
     *
     * @return the description
     */
    public static MachineInfo current() {
        return new MachineInfo(Runtime.getRuntime().availableProcessors(), cpuModel(Path.of("/proc/cpuinfo")),
                System.getProperty("java.vm.name") + " " + System.getProperty("java.vm.vendor", "") + " "
                        + System.getProperty("java.version"),
                System.getProperty("os.name") + " " + System.getProperty("os.version") + " "
                        + System.getProperty("os.arch"),
                Runtime.getRuntime().maxMemory());
    }

    /**
     * The CPU model named in a cpuinfo file.
     *
     * @param cpuinfo the file (normally {@code /proc/cpuinfo})
     * @return the first {@code model name} value, or {@code unknown}
     */
    static String cpuModel(Path cpuinfo) {
        try {
            for (String line : Files.readAllLines(cpuinfo)) {
                if (line.startsWith("model name")) {
                    int colon = line.indexOf(':');
                    return colon < 0 ? "unknown" : line.substring(colon + 1).strip();
                }
            }
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
        return "unknown";
    }

    /**
     * The 1, 5 and 15 minute load averages from {@code /proc/loadavg} (the machine may be shared: every table
     * reports them, since other jobs slow both the steps and the reference).
     *
     * @return {@code "l1 l5 l15"}, or the JVM's one-minute figure where the file is missing
     */
    public static String loadAverage() {
        try {
            List<String> lines = Files.readAllLines(Path.of("/proc/loadavg"));
            String[] f = lines.isEmpty() ? new String[0] : lines.get(0).split("\\s+");
            if (f.length >= 3) {
                return f[0] + " " + f[1] + " " + f[2];
            }
        } catch (IOException | RuntimeException e) {
            // fall through to the JVM's view
        }
        return String.format(Locale.ROOT, "%.2f", java.lang.management.ManagementFactory.getOperatingSystemMXBean()
                .getSystemLoadAverage());
    }

    /**
     * One line for a table header.
     *
     * @return cores, CPU, JVM, OS and max heap
     */
    public String describe() {
        return String.format(Locale.ROOT, "%d cores (%s), %s, %s, max heap %d MiB", cores, cpuModel, jvm, os,
                maxHeapBytes >> 20);
    }
}
