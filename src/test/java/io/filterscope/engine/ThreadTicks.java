package io.filterscope.engine;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/** Processor time of this process's threads, from Linux's {@code /proc/self/task}, for tests of which threads do work. */
public final class ThreadTicks {
    private ThreadTicks() {
    }

    /** Whether this system shows threads' processor time ({@code /proc/self/task}, Linux). */
    public static boolean available() {
        return Files.isDirectory(Path.of("/proc/self/task"));
    }

    /**
     * Processor time (clock ticks) of each thread of this process whose name is {@code name}, by thread id: a Java
     * thread's own and those of the OpenMP workers it started (they inherit its name). Linux keeps the first 15
     * characters of a name, so a longer {@code name} matches every thread whose name starts with those.
     */
    public static Map<String, Long> ofThreadsNamed(String name) throws IOException {
        String kept = name.length() > 15 ? name.substring(0, 15) : name;
        Map<String, Long> ticks = new HashMap<>();
        try (var tasks = Files.list(Path.of("/proc/self/task"))) {
            for (Path t : tasks.toList()) {
                try {
                    if (Files.readString(t.resolve("comm")).strip().equals(kept)) {
                        String[] stat = Files.readString(t.resolve("stat")).replaceFirst("^.*\\) ", "").split(" ");
                        ticks.put(t.getFileName().toString(), Long.parseLong(stat[11]) + Long.parseLong(stat[12]));
                    }
                } catch (IOException e) {
                    // the thread ended meanwhile
                }
            }
        }
        return ticks;
    }

    /** How many threads of {@code after} did work since {@code before} (both from {@link #ofThreadsNamed}). */
    public static long atWork(Map<String, Long> before, Map<String, Long> after) {
        return after.entrySet().stream().filter(e -> e.getValue() > before.getOrDefault(e.getKey(), 0L)).count();
    }
}
