package io.filterscope.server;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code serve} in a JVM of its own, for what one JVM cannot show about itself: a capped JavaCPP memory
 * budget, a working directory it cannot write, its resident memory. Its output goes to a log file; the
 * port is read from its "listening on" line.
 */
final class ServerProcess implements AutoCloseable {
    private static final Pattern LISTENING = Pattern.compile("listening on http://127\\.0\\.0\\.1:(\\d+)");
    final Process process;
    final int port;
    final Path log;

    private ServerProcess(Process process, int port, Path log) {
        this.process = process;
        this.port = port;
        this.log = log;
    }

    /**
     * Starts {@code serve --port 0} with these JVM options and flags in {@code workingDirectory}, waiting (at
     * most a minute) until it listens.
     */
    static ServerProcess start(Path workingDirectory, List<String> jvmOptions, List<String> flags, Path log) throws Exception {
        return start(workingDirectory, jvmOptions, flags, log, 0);
    }

    /** As {@link #start(Path, List, List, Path)}, on {@code port} (0: one the system picks). */
    static ServerProcess start(Path workingDirectory, List<String> jvmOptions, List<String> flags, Path log, int port) throws Exception {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        command.addAll(jvmOptions);
        command.addAll(List.of("-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
                "-cp", absoluteClassPath(), "io.filterscope.cli.Main", "serve", "--port", String.valueOf(port)));
        command.addAll(flags);
        Files.createDirectories(log.getParent());
        Process p = new ProcessBuilder(command).directory(workingDirectory.toFile()).redirectErrorStream(true).start();
        CompletableFuture<Integer> listening = new CompletableFuture<>();
        Thread pump = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
                 var out = Files.newBufferedWriter(log)) {
                String line;
                while ((line = in.readLine()) != null) {
                    out.write(line);
                    out.newLine();
                    out.flush();
                    Matcher m = LISTENING.matcher(line);
                    if (m.find()) {
                        listening.complete(Integer.parseInt(m.group(1)));
                    }
                }
            } catch (IOException e) {
                listening.completeExceptionally(e);
            }
            listening.completeExceptionally(new IllegalStateException("the server exited before listening; see " + log));
        }, "server-process-log");
        pump.setDaemon(true);
        pump.start();
        try {
            return new ServerProcess(p, listening.get(60, TimeUnit.SECONDS), log);
        } catch (Exception e) {
            p.destroyForcibly();
            throw e;
        }
    }

    /** The test class path with every entry absolute, so the server may run in any directory. */
    private static String absoluteClassPath() {
        List<String> entries = new ArrayList<>();
        for (String e : System.getProperty("java.class.path").split(File.pathSeparator)) {
            entries.add(Path.of(e).toAbsolutePath().toString());
        }
        return String.join(File.pathSeparator, entries);
    }

    /** Resident memory of the server process (VmRSS), bytes. */
    long residentBytes() throws IOException {
        return status("VmRSS:");
    }

    /**
     * Resident memory once it has stopped falling, bytes: the server hands freed memory back to the system a moment
     * after a run's done (a collection, then malloc_trim), and memory still held then would be reused by the next
     * run unseen. Reads VmRSS every 250 ms until it has not fallen by 1% for a second, or for at most 30 s.
     */
    long settledResidentBytes() throws IOException, InterruptedException {
        long low = residentBytes();
        int steady = 0;
        for (int reads = 0; steady < 4 && reads < 120; reads++) {
            Thread.sleep(250);
            long now = residentBytes();
            steady = now < low * 99 / 100 ? 0 : steady + 1;
            low = Math.min(low, now);
        }
        return residentBytes();
    }

    /** The most resident memory the server process has had (VmHWM), bytes, since it started or {@link #resetPeak}. */
    long peakResidentBytes() throws IOException {
        return status("VmHWM:");
    }

    /** Starts {@link #peakResidentBytes} again from the present resident memory (Linux: "5" to /proc/PID/clear_refs). */
    void resetPeak() throws IOException {
        Files.writeString(Path.of("/proc", String.valueOf(process.pid()), "clear_refs"), "5");
    }

    /** A figure in kB of /proc/PID/status, in bytes. */
    private long status(String field) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc", String.valueOf(process.pid()), "status"))) {
            if (line.startsWith(field)) {
                return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
            }
        }
        throw new IOException("no " + field + " for process " + process.pid());
    }

    String output() throws IOException {
        return Files.readString(log);
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(15, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }
}
