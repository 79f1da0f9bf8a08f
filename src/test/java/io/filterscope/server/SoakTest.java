package io.filterscope.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 15's soak, opt-in (it takes ten minutes): {@code mvn test -Dtest=SoakTest -Dfilterscope.soak=true}
 * ({@code -Dfilterscope.soak.minutes=N} to change its length). A server in its own JVM (so that its resident
 * memory is its own) on the bundled models, and 30 clients, each at a loopback address of its own: runners
 * that start one run after another, uploaders, clients looping on the example images, watchers, and hostile
 * clients sending everything the hardening refuses. The clients first go for a minute untimed ({@link #warmUp}).
 * It checks that every run gets its "done", that no run's
 * pace (steps over its time running, from "started" to its end less any time paused, as the server's {@code done}
 * gives it in {@code seconds}) falls below 30% of the fastest of three solo timings of the same run, and that resident memory after warm-up (the first fifth)
 * stays within 10%, the server's Java heap being fixed and resident from the start. Figures, each run's
 * included, and the processor time other processes took meanwhile go to stdout and
 * target/hardening/soak.json; {@code -Dfilterscope.soak.jvm="..."} adds options to the server's JVM, {@code
 * -Dfilterscope.soak.port=N} has it listen on port N (default 0: one the system picks).
 * <p>
 * In a class the clients are other machines; here they share the server's cores. So for the timed minutes this JVM's
 * threads go to a lower priority ({@link #CLIENTS_NICE}), set once, and the soak checks that the attack did not
 * weaken ({@link #SERVER_BOUND}, {@link #HOSTILE_FLOOR}): the uploaders and examples clients kept a request at the
 * server nearly all the time they were not pausing by design, and the hostile clients kept pressing in every minute.
 * Every hostile act with a designed answer must get it ({@link #DESIGNED}).
 */
class SoakTest {
    private static final int CLIENTS = 30;
    private static final int SOLO_TIMINGS = 3;
    /** Seconds a hostile client waits for a connection or an answer. */
    private static final long HOSTILE_WAIT_S = 5;
    /** The server's Java heap, megabytes. */
    private static final long HEAP_MB = 1024;
    /**
     * The server's flags: two places, so that on 2 cores each running run has a compute thread of its own and keeps 89%
     * of it beside the queries (on one core, 44% of the device each).
     */
    private static final List<String> FLAGS = List.of("--max-runs", "2");
    /** The flags the server ran with: {@link #FLAGS}, its models and any given with -Dfilterscope.soak.flags. */
    private List<String> serverFlags;
    /**
     * The nice value of this JVM's threads during the timed minutes (-Dfilterscope.soak.clientsNice; 0 leaves them at the
     * server's priority): set once before the clients start ({@link #niceThisJvm}), after the solo timings, which are
     * thus taken at the server's priority as before. At 10 the hostile acts fell by 29%; at 5 they rose 26% in one pair
     * of soaks at a like load and fell 11% in another (docs/performance.md, "Soak", tenth round).
     */
    private static final int CLIENTS_NICE = Integer.getInteger("filterscope.soak.clientsNice", 5);
    /**
     * The share of their active time (all but their pauses by design) the uploaders and the examples clients must
     * spend waiting for the server's answers with the clients at {@link #CLIENTS_NICE}: what they offer is then all they
     * can, and their answers per minute are the server's to set. Those answers come in the query lane's share, which
     * the server holds to a fifth of a compute thread beside two runs ({@link FairScheduler}), so their rate follows
     * the server's priorities and the runs' pace, not the clients': a check of it against an earlier soak's (608
     * uploads a minute, cd42cfb) failed a quiet soak at 537 whose examples, runs and hostile acts held (ceb77d8,
     * docs/performance.md, "Soak", eleventh round). Their own work (an uploader draws a PNG of up to 440 px) took 0.5%
     * of the uploaders' active time and less of the examples clients' at nice 5 on a machine others loaded (0.73
     * cores); a client starved of the processors would show as more. Blind spot: the client library's reading of an
     * answer counts as waiting.
     */
    private static final double SERVER_BOUND = 0.9;
    /**
     * The hostile acts whose answer the hardening designs, by the prefix their answers are counted under, and those
     * answers: RFC 6455's close codes, the Host allow-list's refusal, a socket's message rate limit, the memory budget's
     * refusal of a 512-image run, the image-size and upload-parts limits (a refused upload's connection may close before
     * its answer is read, as {@link UploadLimitsTest} allows), a stop of another client's run refused (not found when
     * the run ended since the list), and a burst of API requests served until the client's rate limit answers 429. Any
     * other answer (another close code or status, a connection closed unanswered, an exception: an upgrade refused, a
     * time-out) is a failure and is listed. Until the connection-count leak was fixed (04452ed) most of the first three
     * were refused as they connected, unseen by a check of their rate (docs/performance.md, "Soak", twelfth round); until
     * the half-sent sockets had an address of their own, so were most of the others (fifteenth round).
     */
    private static final Map<String, Set<String>> DESIGNED = Map.of(
            "hostile oversize", Set.of("close 1009"),
            "hostile utf-8", Set.of("close 1007"),
            "hostile rebinding", Set.of("403"),
            "hostile messages", Set.of("rate_limited"),
            "hostile huge run", Set.of("too_large"),
            "hostile thin image", Set.of("413"),
            "hostile many parts", Set.of("413", "closed"),
            "hostile stop others' run", Set.of("forbidden", "not_found"),
            "hostile api burst", Set.of("200", "429"));
    /**
     * Hostile acts a minute once every act is served, its half-sent sockets from an address of their own (fifteenth
     * round): a 3-minute soak, clients at nice 5, on a machine others loaded (2026-12-01 17:41-17:44 UTC, other processes
     * 0.59 cores; 293 a minute, 248-358 in each minute). Served acts take longer than the refusals at connecting most
     * of them met before (a burst of 40 API requests waits for 40 answers of the query lane): the servers that refused
     * them made 2,990 a minute (04452ed, quiet) and 3,641 (35f173b, quiet).
     */
    private static final double HOSTILE_BASE = 293;
    /**
     * The share of {@link #HOSTILE_BASE} the hostile clients at {@link #CLIENTS_NICE} must keep in each whole timed minute
     * and over all of them (acts per 10 s in {@code cpuEvery10s}): low enough for a machine loaded more than the base's
     * (its slowest minute was 85% of it; with the acts refused, the slowest of five loaded soaks 38% of its base;
     * docs/performance.md, "Soak", thirteenth round), high enough that a stalled attack fails: six clients whose every
     * act waits {@link #HOSTILE_WAIT_S} s make 72 a minute, 25% of this base (and each such wait is an answer not
     * designed, {@link #DESIGNED}).
     */
    private static final double HOSTILE_FLOOR_SHARE = 0.4;
    /**
     * Hostile acts per minute, over the timed minutes and in each of them, that the clients must keep (so that the
     * designed answers were given under a pressing attack, not to a trickle).
     */
    private static final double HOSTILE_FLOOR = HOSTILE_FLOOR_SHARE * HOSTILE_BASE;

    /** A kind of run the runners start, and what it takes alone. */
    private record Spec(String name, JsonObject start) {
    }

    private static final List<Spec> SPECS = List.of(
            new Spec("fashion conv2 28px", Peer.start("fashion-cnn", "conv2", 3, 400, null)),
            new Spec("mnist conv4 28px x8", batch("mnist-cnn", "conv4", 8, 150)),
            new Spec("fashion conv3 64px", Peer.start("fashion-cnn", "conv3", 7, 150, null).put("size", 64)));

    private static JsonObject batch(String model, String layer, int images, int steps) {
        JsonArray filters = new JsonArray();
        for (int i = 0; i < images; i++) {
            filters.add(i);
        }
        return new JsonObject().put("op", "start").put("model", model).put("steps", steps)
                .put("objective", new JsonObject().put("type", "channel").put("layer", layer).put("filters", filters));
    }

    /** One finished run as a runner saw it. */
    /**
     * {@code seconds} and {@code ratio} by the server's clock ({@code done}'s {@code seconds}); {@code clientSeconds} and
     * {@code clientRatio} as this client saw them, from its "started" to its "done": they add the time those messages
     * took to reach a client at nice {@link #CLIENTS_NICE} on the server's own cores (in a class, other machines).
     */
    private record RunRecord(String spec, String reason, int steps, double seconds, double ratio, double clientSeconds,
                             double clientRatio, double at, int pauses) {
    }

    /** Each spec's solo steps/s by the server's clock, and as the client saw it. */
    private final Map<String, Double> solo = new ConcurrentHashMap<>();
    private final Map<String, Double> soloOnClient = new ConcurrentHashMap<>();
    /** Every solo timing of each spec, steps/s by the server's clock: the yardstick's spread (the fastest is {@link #solo}). */
    private final Map<String, List<Double>> soloTimings = new ConcurrentHashMap<>();
    private final List<RunRecord> runs = Collections.synchronizedList(new ArrayList<>());
    private final AtomicInteger missingDone = new AtomicInteger();
    private final Map<String, AtomicInteger> counts = new ConcurrentHashMap<>();
    private volatile boolean going = true;
    /** When the clients began (System.nanoTime). */
    private volatile long soakStart;
    /** What the clients did per minute of the timed minutes, by kind ({@link #attack}). */
    private JsonObject attackPerMinute = new JsonObject();
    /**
     * Nanoseconds the uploaders and examples clients were active (from one answer to their next, less their pause by
     * design, {@link #UPLOAD_PAUSE_MS} for an uploader), and of those waiting for the server's answer, by kind
     * ("uploads", "examples"): what is not waiting is the client's own work, on processors it shares with the server.
     */
    private final Map<String, java.util.concurrent.atomic.AtomicLong> activeNanos = new ConcurrentHashMap<>();
    private final Map<String, java.util.concurrent.atomic.AtomicLong> waitingNanos = new ConcurrentHashMap<>();
    /** When this client thread's last act was answered (System.nanoTime), for {@link #acted}. */
    private final ThreadLocal<Long> lastAnswer = new ThreadLocal<>();
    /** An uploader's pause after each answer. */
    private static final long UPLOAD_PAUSE_MS = 200;
    /** The share of the timed minutes' active time spent waiting for the server, by kind ({@link #SERVER_BOUND}). */
    private JsonObject serverBound = new JsonObject();
    /** Who used the processors during the soak. */
    private JsonObject machine = new JsonObject();
    /** Every 10 s: [seconds into the soak, server cores, clients cores, other processes' cores, hostile acts done]. */
    private final JsonArray cpu = new JsonArray();
    /** Hostile acts done so far, each answered or refused: whether the attack went on all along shows in {@link #cpu}. */
    private final AtomicInteger hostileActs = new AtomicInteger();
    /** What each hostile act with a designed answer ({@link #DESIGNED}) got, by act and answer, warm-up included. */
    private final Map<String, Map<String, AtomicInteger>> answers = new ConcurrentHashMap<>();
    /**
     * The hostile clients' payloads, made once before anything is timed: a student's 39,000,000 x 1 PNG is made on
     * their own machine, but here deflating its 39 MB of rows took 150-500 ms of the two cores shared with the server
     * at each attempt (docs/performance.md, "Soak", sixth round).
     */
    private byte[] thinPng;
    private Buffer manyParts;

    @Test
    void thirtyClientsForTenMinutes(@TempDir Path work) throws Exception {
        assumeTrue(Boolean.getBoolean("filterscope.soak"), "opt-in: -Dfilterscope.soak=true");
        double minutes = Double.parseDouble(System.getProperty("filterscope.soak.minutes", "10"));
        List<String> flags = new ArrayList<>(FLAGS);
        flags.addAll(List.of("--models", Path.of("models").toAbsolutePath().toString()));
        String extraFlags = System.getProperty("filterscope.soak.flags", "").trim();
        if (!extraFlags.isEmpty()) {
            flags.addAll(List.of(extraFlags.split("\\s+")));
        }
        serverFlags = List.copyOf(flags);
        Vertx vertx = Vertx.vertx();
        // The Java heap fixed and resident from the start: G1 otherwise grows it toward -Xmx under load (219 to 688
        // MB committed in the first 140 s here), a bounded growth that would hide what the check is for, memory that
        // nothing bounds. So what can grow is native memory, metaspace and code (docs/testing.md, "Soak").
        List<String> jvm = new ArrayList<>(List.of("-Xms" + HEAP_MB + "m", "-Xmx" + HEAP_MB + "m", "-XX:+AlwaysPreTouch"));
        String extra = System.getProperty("filterscope.soak.jvm", "").trim();
        if (!extra.isEmpty()) {
            jvm.addAll(List.of(extra.split("\\s+")));
        }
        thinPng = UploadLimitsTest.greyPng(39_000_000, 1);
        manyParts = manyParts();
        try (ServerProcess server = ServerProcess.start(work, jvm, flags, Path.of("target", "hardening", "soak-server.log"),
                Integer.getInteger("filterscope.soak.port", 0))) {
            // 180 s of the clients before the solo timings: after 60 s the JIT still took 0.3-0.4 of the 2 cores, and the
            // runs below 30% of solo all started in the first minute of the timed ones (performance.md, Soak, 21st round).
            warmUp(vertx, server.port, Double.parseDouble(System.getProperty("filterscope.soak.warmup", "180")));
            measureSolo(vertx, server.port);
            System.out.printf("soak: solo steps/s %s (every timing %s)%n", solo, soloTimings);
            if (CLIENTS_NICE != 0) {
                niceThisJvm(CLIENTS_NICE);
            }
            System.out.printf("soak: server pid %d%n", server.process.pid());
            soakStart = System.nanoTime();
            long[] cpuBefore = cpuTicks(server.process.pid());
            String loadBefore = Files.readString(Path.of("/proc/loadavg")).trim();
            List<Thread> clients = startClients(vertx, server.port);
            long start = System.nanoTime();
            long end = start + (long) (minutes * 60e9);
            long warmUp = start + (long) (minutes * 60e9 / 5);
            List<long[]> rss = new ArrayList<>();
            long[] ticks = cpuBefore;
            Map<Long, ThreadTicks> threads = threadTicks(server.process.pid());
            long ticksAt = System.nanoTime();
            int acts = hostileActs.get();
            Map<String, Integer> attackBefore = attack();
            Map<String, long[]> boundBefore = bound();
            while (System.nanoTime() < end) {
                Thread.sleep(10_000);
                long now = System.nanoTime();
                rss.add(new long[] {(now - start) / 1_000_000_000, server.residentBytes(), now > warmUp ? 1 : 0});
                // Who used the processors in these 10 s: a slow minute is the server's, the clients' or other processes'.
                long[] next = cpuTicks(server.process.pid());
                double[] cores = cores(ticks, next, (now - ticksAt) / 1e9);
                Map<Long, ThreadTicks> threadsNext = threadTicks(server.process.pid());
                int actsNow = hostileActs.get();
                cpu.add(new JsonArray(List.of((now - start) / 1_000_000_000, cores[0], cores[1], cores[2], actsNow - acts,
                        serverThreadCores(threads, threadsNext, next[1] - ticks[1], (now - ticksAt) / 1e9))));
                acts = actsNow;
                ticks = next;
                threads = threadsNext;
                ticksAt = now;
                System.out.printf("soak: %4d s rss %4d MB, %d runs done, cores: server %.2f %s, clients %.2f, others %.2f; %d hostile acts; counts %s%n",
                        (now - start) / 1_000_000_000, server.residentBytes() >> 20, runs.size(), cores[0],
                        cpu.getJsonArray(cpu.size() - 1).getJsonObject(5).encode(), cores[1], cores[2],
                        cpu.getJsonArray(cpu.size() - 1).getInteger(4), counts);
            }
            long[] cpuAfter = cpuTicks(server.process.pid());
            double seconds = (System.nanoTime() - start) / 1e9;
            Map<String, Integer> attackAfter = attack();
            attackPerMinute = new JsonObject();
            for (String kind : attackAfter.keySet()) {
                attackPerMinute.put(kind, Math.round((attackAfter.get(kind) - attackBefore.get(kind)) * 600 / seconds) / 10.0);
            }
            serverBound = new JsonObject();
            bound().forEach((kind, after) -> {
                long[] before = boundBefore.get(kind);
                serverBound.put(kind, Math.round(1000.0 * (after[1] - before[1]) / Math.max(1, after[0] - before[0])) / 1000.0);
            });
            System.out.printf("soak: clients at nice %d, per minute %s; share of their active time waiting for the server %s%n",
                    CLIENTS_NICE, attackPerMinute.encode(), serverBound.encode());
            // Processor time of everything else on the machine (other users, builds): the soak's figures mean
            // little when others took much of it. Clock ticks are 1/100 s on Linux.
            double[] cores = cores(cpuBefore, cpuAfter, seconds);
            machine = new JsonObject().put("cores", Runtime.getRuntime().availableProcessors())
                    .put("otherProcessesCores", cores[2]).put("serverCores", cores[0]).put("clientsCores", cores[1]).put("cpuEvery10s", cpu)
                    .put("loadavgBefore", loadBefore).put("loadavgAfter", Files.readString(Path.of("/proc/loadavg")).trim());
            System.out.printf("soak: machine %s%n", machine.encode());
            stopClients(clients);
            report(rss, minutes);
        } finally {
            vertx.close();
        }
    }

    /**
     * The 30 clients for {@code seconds} before anything is timed (-Dfilterscope.soak.warmup, default 60), their
     * runs' paces not counted but their "done"s awaited as ever. In their first minute the clients' own JVM, which
     * shares the machine with the server here (in a class each student has a browser of their own), took 0.6-0.9 of
     * the two cores compiling its code, and the server's JIT compiled the HTTP paths only client traffic reaches:
     * runs then went at a fraction of a solo pace timed on a quiet machine (docs/performance.md, "Soak").
     */
    private void warmUp(Vertx vertx, int port, double seconds) throws InterruptedException {
        List<Thread> clients = startClients(vertx, port);
        Thread.sleep((long) (seconds * 1000));
        stopClients(clients);
        going = true;
        System.out.printf("soak: clients warmed for %.0f s; counts %s%n", seconds, counts);
    }

    private List<Thread> startClients(Vertx vertx, int port) {
        List<Thread> clients = new ArrayList<>();
        for (int i = 0; i < CLIENTS; i++) {
            int n = i;
            Thread t = new Thread(() -> client(vertx, port, n), "soak-client-" + n);
            t.start();
            clients.add(t);
        }
        return clients;
    }

    private void stopClients(List<Thread> clients) throws InterruptedException {
        going = false;
        for (Thread t : clients) {
            t.join(TimeUnit.MINUTES.toMillis(6));
        }
    }

    /** What the clients have done so far: runs done, uploads and examples queries answered, hostile acts done. */
    private Map<String, Integer> attack() {
        Map<String, Integer> done = new java.util.TreeMap<>();
        done.put("runs", counts.getOrDefault("runs", new AtomicInteger()).get());
        done.put("uploads", countsStarting("upload "));
        done.put("examples", countsStarting("examples "));
        done.put("hostile acts", hostileActs.get());
        return done;
    }

    /** {active, waiting} nanoseconds so far by kind ({@link #activeNanos}). */
    private Map<String, long[]> bound() {
        Map<String, long[]> so = new java.util.TreeMap<>();
        for (String kind : List.of("uploads", "examples")) {
            so.put(kind, new long[] {activeNanos.computeIfAbsent(kind, k -> new java.util.concurrent.atomic.AtomicLong()).get(),
                    waitingNanos.computeIfAbsent(kind, k -> new java.util.concurrent.atomic.AtomicLong()).get()});
        }
        return so;
    }

    /**
     * A client's act of {@code kind} asked at {@code asked} was answered at {@code answered}; it had paused
     * {@code pauseMs} by design since its last answer (the first act of a client thread only starts its count).
     */
    private void acted(String kind, long asked, long answered, long pauseMs) {
        Long last = lastAnswer.get();
        lastAnswer.set(answered);
        if (last != null) {
            activeNanos.computeIfAbsent(kind, k -> new java.util.concurrent.atomic.AtomicLong())
                    .addAndGet(answered - last - TimeUnit.MILLISECONDS.toNanos(pauseMs));
            waitingNanos.computeIfAbsent(kind, k -> new java.util.concurrent.atomic.AtomicLong()).addAndGet(answered - asked);
        }
    }

    private int countsStarting(String prefix) {
        return counts.entrySet().stream().filter(e -> e.getKey().startsWith(prefix)).mapToInt(e -> e.getValue().get()).sum();
    }

    /**
     * Sets every thread of this JVM to nice {@code nice}, once: threads started later (the clients', the client library's,
     * the JVM's own) inherit it from the thread that starts them. The server, a process started before, keeps its own.
     */
    private static void niceThisJvm(int nice) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("renice", "-n", String.valueOf(nice), "-p"));
        try (var tasks = Files.list(Path.of("/proc/self/task"))) {
            tasks.forEach(t -> command.add(t.getFileName().toString()));
        }
        Process renice = new ProcessBuilder(command).redirectErrorStream(true).start();
        String said = new String(renice.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (renice.waitFor() != 0) {
            throw new IllegalStateException("could not set the clients' threads to nice " + nice + ": " + said.trim());
        }
    }

    /**
     * Clock ticks of processor time: {all processes' busy time (/proc/stat), the server's, this JVM's}
     * (user + system of each, from /proc/PID/stat).
     */
    private static long[] cpuTicks(long server) throws IOException {
        String[] all = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
        long busy = 0;
        for (int i : new int[] {1, 2, 3, 6, 7, 8}) { // user nice system irq softirq steal
            busy += Long.parseLong(all[i]);
        }
        return new long[] {busy, processTicks(Path.of("/proc", String.valueOf(server), "stat")), processTicks(Path.of("/proc/self/stat"))};
    }

    /** A thread of the server's: the group its name puts it in, and its clock ticks of processor time so far. */
    private record ThreadTicks(String group, long ticks) {
    }

    /**
     * The server's threads by id (/proc/PID/task): compute (its compute threads and the OpenMP threads they start,
     * which take their name), event loops, Vert.x workers, GC, JIT and others; a thread gone since is missed.
     */
    private static Map<Long, ThreadTicks> threadTicks(long server) throws IOException {
        Map<Long, ThreadTicks> threads = new java.util.HashMap<>();
        try (var tasks = Files.list(Path.of("/proc", String.valueOf(server), "task"))) {
            for (Path task : tasks.toList()) {
                try {
                    String line = Files.readString(task.resolve("stat"));
                    String name = line.substring(line.indexOf('(') + 1, line.lastIndexOf(')'));
                    String group = name.startsWith("filterscope-com") ? "compute" : name.startsWith("vert.x-eventloo") ? "eventLoops"
                            : name.startsWith("vert.x-") ? "vertxWorkers" : name.contains("GC") || name.startsWith("G1") ? "gc"
                            : name.contains("Compiler") ? "jit" : "other";
                    threads.put(Long.parseLong(task.getFileName().toString()), new ThreadTicks(group, processTicks(task.resolve("stat"))));
                } catch (NoSuchFileException | RuntimeException gone) {
                    // The thread ended while listed.
                }
            }
        }
        return threads;
    }

    /**
     * Cores each group of the server's threads used between two {@link #threadTicks} readings {@code seconds} apart,
     * to 0.01; "gone" is the server's own total ({@code serverTicks}) less theirs: threads that ended meanwhile.
     */
    private static JsonObject serverThreadCores(Map<Long, ThreadTicks> before, Map<Long, ThreadTicks> after, long serverTicks, double seconds) {
        Map<String, Long> byGroup = new java.util.TreeMap<>();
        long counted = 0;
        for (var e : after.entrySet()) {
            ThreadTicks earlier = before.get(e.getKey());
            long ticks = e.getValue().ticks() - (earlier == null ? 0 : earlier.ticks());
            byGroup.merge(e.getValue().group(), ticks, Long::sum);
            counted += ticks;
        }
        byGroup.put("gone", Math.max(0, serverTicks - counted));
        JsonObject cores = new JsonObject();
        byGroup.forEach((group, ticks) -> cores.put(group, Math.round(ticks / seconds) / 100.0));
        return cores;
    }

    /** Cores used between two {@link #cpuTicks} readings {@code seconds} apart: {server, clients, other processes}, to 0.01. */
    private static double[] cores(long[] before, long[] after, double seconds) {
        long server = after[1] - before[1];
        long clients = after[2] - before[2];
        long others = after[0] - before[0] - server - clients;
        return java.util.Arrays.stream(new long[] {server, clients, others}).mapToDouble(t -> Math.round(t / seconds) / 100.0).toArray();
    }

    private static long processTicks(Path stat) throws IOException {
        String line = Files.readString(stat);
        String[] f = line.substring(line.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(f[11]) + Long.parseLong(f[12]); // utime, stime (fields 14 and 15 of the whole line)
    }

    private void report(List<long[]> rss, double minutes) throws IOException {
        List<long[]> settled = rss.stream().filter(r -> r[2] == 1).toList();
        long first = settled.get(0)[1];
        long most = settled.stream().mapToLong(r -> r[1]).max().orElseThrow();
        long least = settled.stream().mapToLong(r -> r[1]).min().orElseThrow();
        long last = settled.get(settled.size() - 1)[1];
        List<RunRecord> completed = runs.stream().filter(r -> "completed".equals(r.reason())).toList();
        double worst = completed.stream().mapToDouble(RunRecord::ratio).min().orElse(0);
        double median = completed.stream().mapToDouble(RunRecord::ratio).sorted().skip(completed.size() / 2).findFirst().orElse(0);
        double worstOnClient = completed.stream().mapToDouble(RunRecord::clientRatio).min().orElse(0);
        double medianOnClient = completed.stream().mapToDouble(RunRecord::clientRatio).sorted().skip(completed.size() / 2).findFirst().orElse(0);
        System.out.printf("soak: %.0f min, %d clients: %d runs (%d completed, others %s), %d without done; pace vs solo: worst %.0f%%, "
                        + "median %.0f%% (as the clients saw it: worst %.0f%%, median %.0f%%); resident after warm-up %d MB first, %d-%d MB, %d MB last (%+.1f%%); client actions %s%n",
                minutes, CLIENTS, runs.size(), completed.size(),
                runs.stream().filter(r -> !"completed".equals(r.reason())).map(RunRecord::reason).toList(), missingDone.get(),
                100 * worst, 100 * median, 100 * worstOnClient, 100 * medianOnClient, first >> 20, least >> 20, most >> 20, last >> 20, 100.0 * (most - least) / least, counts);
        // The same growth against what is not the fixed heap: the stricter figure, reported beside the criterion.
        double beyondHeap = 100.0 * (most - least) / (least - (HEAP_MB << 20));
        System.out.printf("soak: growth after warm-up against resident memory beyond the heap: %+.1f%%%n", beyondHeap);
        Map<String, Integer> wrong = wrongAnswers();
        List<Integer> byMinute = hostileActsByMinute(minutes);
        System.out.printf("soak: hostile answers %s, not as designed %s; hostile acts by minute %s%n", hostileAnswers().encode(), wrong, byMinute);
        JsonObject summary = new JsonObject().put("minutes", minutes).put("clients", CLIENTS).put("flags", new JsonArray(serverFlags))
                .put("solo", new JsonObject(new java.util.HashMap<>(solo))).put("soloOnClient", new JsonObject(new java.util.HashMap<>(soloOnClient)))
                .put("soloTimings", new JsonObject(new java.util.HashMap<>(soloTimings)))
                .put("runs", runs.size()).put("completed", completed.size())
                .put("missingDone", missingDone.get()).put("worstRatio", worst).put("medianRatio", median)
                .put("worstRatioOnClient", worstOnClient).put("medianRatioOnClient", medianOnClient)
                .put("rssFirstMB", first >> 20).put("rssMinMB", least >> 20).put("rssMaxMB", most >> 20).put("rssLastMB", last >> 20)
                .put("heapMB", HEAP_MB).put("growthBeyondHeapPercent", Math.round(beyondHeap * 10) / 10.0)
                .put("rss", new JsonArray(rss.stream().map(r -> new JsonArray(List.of(r[0], r[1] >> 20))).toList()))
                .put("counts", new JsonObject(new java.util.HashMap<>(counts))).put("machine", machine)
                .put("clientsNice", CLIENTS_NICE).put("attackPerMinute", attackPerMinute).put("serverBound", serverBound)
                .put("hostileAnswers", hostileAnswers()).put("hostileWrongAnswers", new JsonObject(new java.util.HashMap<>(wrong)))
                .put("hostileActsByMinute", new JsonArray(byMinute)).put("hostileFloorPerMinute", HOSTILE_FLOOR)
                .put("eachFields", new JsonArray(List.of("spec", "reason", "steps", "at", "seconds", "ratio", "pauses", "clientSeconds", "clientRatio")))
                .put("each", new JsonArray(runs.stream().map(r -> new JsonArray(List.of(r.spec(), r.reason(), r.steps(),
                        Math.round(r.at() * 10) / 10.0, Math.round(r.seconds() * 100) / 100.0, Math.round(r.ratio() * 100) / 100.0, r.pauses(),
                        Math.round(r.clientSeconds() * 100) / 100.0, Math.round(r.clientRatio() * 100) / 100.0))).toList()));
        Files.writeString(Path.of("target", "hardening", "soak.json"), summary.encodePrettily());
        assertEquals(0, missingDone.get(), "every run gets its done");
        assertEquals(Map.of(), wrong, "every hostile act with a designed answer got it " + DESIGNED + "; got " + hostileAnswers().encode());
        assertTrue(DESIGNED.keySet().stream().allMatch(answers::containsKey), "each designed act was tried: " + hostileAnswers().encode());
        assertTrue(completed.size() > 0);
        if (CLIENTS_NICE != 0) {
            serverBound.forEach(e -> assertTrue((Double) e.getValue() >= SERVER_BOUND, "the " + e.getKey() + " clients at nice "
                    + CLIENTS_NICE + " waited for the server " + e.getValue() + " of their active time, at least " + SERVER_BOUND));
            assertTrue(attackPerMinute.getDouble("hostile acts") >= HOSTILE_FLOOR, "the hostile clients at nice " + CLIENTS_NICE
                    + " kept pressing: " + attackPerMinute.getDouble("hostile acts") + " acts a minute, at least " + HOSTILE_FLOOR);
            assertTrue(byMinute.stream().allMatch(n -> n >= HOSTILE_FLOOR), "the hostile clients at nice " + CLIENTS_NICE
                    + " kept pressing in every minute: " + byMinute + ", each at least " + HOSTILE_FLOOR);
        }
        assertTrue(worst >= 0.3, "no run below 30% of its solo pace by the server's clock; worst " + worst + " (as the clients saw it "
                + worstOnClient + ")");
        assertTrue(most <= least * 1.1, "resident memory flat within 10% after warm-up: " + least + ".." + most);
    }

    /**
     * Each spec once to warm up, then timed alone {@link #SOLO_TIMINGS} times: its solo pace is the fastest of
     * them (the strictest yardstick, and the one least moved by other processes on the machine), by either clock.
     */
    private void measureSolo(Vertx vertx, int port) throws Exception {
        try (Peer peer = new Peer(vertx, "127.0.0.99"); Peer.Socket socket = peer.connect(port)) {
            for (Spec spec : SPECS) {
                time(socket, spec);
                double best = 0;
                double bestOnClient = 0;
                for (int i = 0; i < SOLO_TIMINGS; i++) {
                    double[] t = time(socket, spec);
                    best = Math.max(best, t[0] / t[2]);
                    soloTimings.computeIfAbsent(spec.name(), k -> new ArrayList<>()).add(t[0] / t[2]);
                    bestOnClient = Math.max(bestOnClient, t[0] / t[1]);
                }
                solo.put(spec.name(), best);
                soloOnClient.put(spec.name(), bestOnClient);
            }
        }
    }

    /**
     * Starts a run of {@code spec} and waits for its end; returns {steps, seconds running as this client saw them,
     * seconds running by the server's clock}, or null when it was refused. Seconds running as seen here are those
     * between "started" and "done" that the run was not queued again (paused for another client's run: the protocol
     * says "queued" then "started" again), so a pause shows as queued, as a user sees it, and not as a slow pace; the
     * server's ({@code done}'s {@code seconds}) leave its pauses out likewise.
     */
    private double[] time(Peer.Socket socket, Spec spec) throws InterruptedException {
        socket.send(spec.start().copy().put("tag", spec.name()));
        JsonObject e = nextOf(socket, m -> spec.name().equals(m.getString("tag")));
        // Waiting for a place: "queued" again at each move up; on a slow machine the line may not move for a minute. Or for
        // its model's read or its network's compile: "preparing".
        for (int silent = 0; List.of("queued", "preparing").contains(e.getString("type")); ) {
            try {
                e = nextOf(socket, m -> spec.name().equals(m.getString("tag")));
                silent = 0;
            } catch (AssertionError stillQueued) {
                if (++silent == 5) {
                    throw stillQueued;
                }
            }
        }
        if (!"started".equals(e.getString("type"))) {
            count("run refused " + e.getString("code"));
            return null;
        }
        String run = e.getString("run");
        long since = System.nanoTime();
        long started = since;
        long running = 0;
        int pauses = 0;
        while (true) {
            e = nextOf(socket, m -> run.equals(m.getString("run")) && List.of("queued", "started", "done").contains(m.getString("type")));
            long now = System.nanoTime();
            switch (e.getString("type")) {
                case "queued" -> {
                    if (since != 0) {
                        running += now - since;
                        since = 0;
                        pauses++;
                    }
                }
                case "started" -> since = since == 0 ? now : since;
                default -> {
                    running += since == 0 ? 0 : now - since;
                    double seconds = running / 1e9;
                    int steps = e.getInteger("steps");
                    double onServer = e.getDouble("seconds");
                    if (solo.containsKey(spec.name())) {
                        runs.add(new RunRecord(spec.name(), e.getString("reason"), steps, onServer, steps / onServer / solo.get(spec.name()),
                                seconds, steps / seconds / soloOnClient.get(spec.name()), (started - soakStart) / 1e9, pauses));
                    }
                    return new double[] {steps, seconds, onServer};
                }
            }
        }
    }

    /**
     * The next event on a runner's socket that {@code wanted} accepts. A run is not lost while its frames keep
     * coming (a slow machine may take more than the socket's minute between two events); it is after a minute with
     * neither an event nor a frame.
     */
    private static JsonObject nextOf(Peer.Socket socket, java.util.function.Predicate<JsonObject> wanted) throws InterruptedException {
        while (true) {
            int frames = socket.frames.get();
            try {
                return socket.next(wanted);
            } catch (AssertionError e) {
                if (socket.frames.get() == frames) {
                    throw e;
                }
            }
        }
    }

    private void count(String what) {
        counts.computeIfAbsent(what, k -> new AtomicInteger()).incrementAndGet();
    }

    private void client(Vertx vertx, int port, int n) {
        Random rng = new Random(n);
        String address = "127.0.0." + (100 + n);
        try (Peer peer = new Peer(vertx, address)) {
            while (going) {
                try {
                    switch (n % 5) {
                        case 0, 1 -> runner(peer, port, n);
                        case 2 -> uploader(peer, port, rng);
                        case 3 -> examples(peer, port, rng);
                        default -> {
                            // A connection the server refuses (this client is over its share) can leave the client
                            // library waiting for it with no TCP connection open: at a minute a wait, the attack all
                            // but stopped after its first two minutes (sixth round). A student gives up sooner.
                            try (Peer impatient = new Peer(vertx, address, HOSTILE_WAIT_S)) {
                                hostile(impatient, port, rng, "127.0.1." + (100 + n));
                            } finally {
                                hostileActs.incrementAndGet();
                            }
                        }
                    }
                } catch (AssertionError e) {
                    if (n % 5 <= 1) {
                        missingDone.incrementAndGet();
                        System.out.printf("soak: client %d: %s%n", n, e.getMessage());
                    }
                } catch (Exception e) {
                    count("client exception " + e.getClass().getSimpleName());
                }
            }
        }
    }

    private void runner(Peer peer, int port, int n) throws Exception {
        try (Peer.Socket socket = peer.connect(port)) {
            for (int i = 0; going; i++) {
                Spec spec = SPECS.get((n + i) % SPECS.size());
                if (time(socket, spec) != null) {
                    count("runs");
                }
            }
        }
    }

    private void uploader(Peer peer, int port, Random rng) throws Exception {
        int side = 40 + rng.nextInt(400);
        byte[] png = UploadLimitsTest.greyPng(side, side);
        long asked = System.nanoTime();
        Peer.Response r = peer.upload(port, "/api/models/fashion-cnn/activations?layer=conv" + (1 + rng.nextInt(4)), png);
        acted("uploads", asked, System.nanoTime(), UPLOAD_PAUSE_MS);
        count("upload " + r.status());
        Thread.sleep(UPLOAD_PAUSE_MS);
    }

    private void examples(Peer peer, int port, Random rng) throws Exception {
        String path = "/api/models/" + (rng.nextBoolean() ? "fashion-cnn" : "mnist-cnn") + "/examples?layer=conv"
                + (1 + rng.nextInt(4)) + "&filter=" + rng.nextInt(32) + "&n=100";
        long asked = System.nanoTime();
        Peer.Response r = peer.get(port, path);
        acted("examples", asked, System.nanoTime(), 0);
        count("examples " + r.status());
    }

    /**
     * Does a hostile act of {@code act} (a key of {@link #DESIGNED}) and counts the answer it got, or what it threw
     * instead (an upgrade refused, a time-out): that is an answer too, and not the designed one.
     */
    private void answered(String act, java.util.concurrent.Callable<String> attempt) {
        String answer;
        try {
            answer = attempt.call();
        } catch (Exception e) {
            String message = String.valueOf(e.getMessage()).lines().findFirst().orElse("");
            answer = e.getClass().getSimpleName() + ": " + message.substring(0, Math.min(60, message.length()));
        }
        answers.computeIfAbsent(act, k -> new ConcurrentHashMap<>()).computeIfAbsent(answer, k -> new AtomicInteger()).incrementAndGet();
        count(act + " " + answer);
    }

    /** What the hostile acts with a designed answer got: act, then answer, then how many. */
    private JsonObject hostileAnswers() {
        JsonObject all = new JsonObject();
        new java.util.TreeMap<>(answers).forEach((act, got) -> {
            JsonObject each = new JsonObject();
            new java.util.TreeMap<>(got).forEach((answer, n) -> each.put(answer, n.get()));
            all.put(act, each);
        });
        return all;
    }

    /** Hostile acts with a designed answer that got another, as "act: answer" with their counts. */
    private Map<String, Integer> wrongAnswers() {
        Map<String, Integer> wrong = new java.util.TreeMap<>();
        answers.forEach((act, got) -> got.forEach((answer, n) -> {
            if (!DESIGNED.get(act).contains(answer)) {
                wrong.put(act + ": " + answer, n.get());
            }
        }));
        return wrong;
    }

    /**
     * Hostile acts in each whole minute of the timed minutes, from {@code cpuEvery10s}: the rows of the 10-s windows that
     * ended in it.
     */
    private List<Integer> hostileActsByMinute(double minutes) {
        List<Integer> byMinute = new ArrayList<>();
        for (int m = 0; m < (int) Math.floor(minutes); m++) {
            int acts = 0;
            for (int i = 0; i < cpu.size(); i++) {
                long at = cpu.getJsonArray(i).getLong(0);
                if (at > 60L * m && at <= 60L * (m + 1)) {
                    acts += cpu.getJsonArray(i).getInteger(4);
                }
            }
            byMinute.add(acts);
        }
        return byMinute;
    }

    /** An upload of 300 parts of 1 KB, more than the server takes. */
    private static Buffer manyParts() {
        Buffer body = Buffer.buffer();
        for (int i = 0; i < 300; i++) {
            body.appendString("--XX\r\nContent-Disposition: form-data; name=\"f" + i + "\"; filename=\"x\"\r\n\r\n")
                    .appendBytes(new byte[1024]).appendString("\r\n");
        }
        return body.appendString("--XX--\r\n");
    }

    /**
     * One hostile act after another, each of which the hardening refuses. The half-sent requests come from {@code
     * halfSentFrom}, a loopback address of their own (all of 127/8 is loopback on Linux), which the server counts as
     * another client: from the peer's own address they filled its connection cap, and its other acts failed at
     * connecting, their answers unchecked (2,800-4,000 client exceptions a soak; docs/performance.md, "Soak",
     * thirteenth round).
     */
    private void hostile(Peer peer, int port, Random rng, String halfSentFrom) throws Exception {
        switch (rng.nextInt(10)) {
            case 0 -> answered("hostile messages", () -> {
                try (Peer.Socket s = peer.connect(port)) {
                    s.ws.writeTextMessage("{not json");
                    s.ws.writeBinaryMessage(Buffer.buffer(new byte[] {1, 2, 3}));
                    s.send(new JsonObject().put("op", "dance"));
                    s.ws.writeTextMessage("{\"op\":\"start\",\"model\":\"fashion-cnn\",\"objective\":{\"type\":\"channel\","
                            + "\"layer\":\"conv1\",\"filter\":4294967301}}");
                    for (int i = 0; i < 80; i++) {
                        s.send(new JsonObject().put("op", "list"));
                    }
                    return s.next(e -> "rate_limited".equals(e.getString("code"))).getString("code");
                }
            });
            case 1 -> answered("hostile huge run", () -> {
                try (Peer.Socket s = peer.connect(port)) {
                    // conv1 has 32 filters: each 16 times over, so the memory budget is what refuses it.
                    JsonArray filters = new JsonArray();
                    for (int i = 0; i < 512; i++) {
                        filters.add(i % 32);
                    }
                    JsonObject huge = batch("fashion-cnn", "conv1", 1, 100).put("size", 512);
                    huge.getJsonObject("objective").put("filters", filters);
                    s.send(huge);
                    return s.next("error").getString("code");
                }
            });
            case 2 -> answered("hostile utf-8", () -> {
                try (RawHttp.RawSocket ws = new RawHttp.RawSocket(port, "127.0.0.1:" + port)) {
                    ws.frame(1, true, new byte[] {'{', (byte) 0xff, '}'});
                    return "close " + ws.closeCode();
                }
            });
            case 3 -> answered("hostile oversize", () -> {
                try (RawHttp.RawSocket ws = new RawHttp.RawSocket(port, "127.0.0.1:" + port)) {
                    ws.frame(1, true, new byte[100_000]);
                    return "close " + ws.closeCode();
                }
            });
            case 4 -> answered("hostile thin image",
                    () -> String.valueOf(peer.upload(port, "/api/models/fashion-cnn/activations?layer=conv1", thinPng).status()));
            case 5 -> answered("hostile many parts", () -> {
                try {
                    return String.valueOf(peer.post(port, "/api/models/fashion-cnn/activations?layer=conv1", "multipart/form-data; boundary=XX",
                            manyParts.copy()).status());
                } catch (java.util.concurrent.ExecutionException e) {
                    return "closed"; // the server closed the connection of the refused upload before reading it all
                }
            });
            case 6 -> {
                // Half-sent requests, left for the server's request timeout to close.
                for (int i = 0; i < 40; i++) {
                    Socket s = new Socket();
                    s.bind(new InetSocketAddress(halfSentFrom, 0));
                    s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
                    s.getOutputStream().write("GET /api/models HTTP/1.1\r\nHost: 127".getBytes(StandardCharsets.US_ASCII));
                    Thread reader = new Thread(() -> {
                        try (s) {
                            s.setSoTimeout(120_000);
                            s.getInputStream().readAllBytes();
                        } catch (IOException e) {
                            // closed by the server
                        }
                    });
                    reader.setDaemon(true);
                    reader.start();
                }
                count("hostile half-sent x40");
            }
            case 7 -> answered("hostile rebinding", () -> {
                String answer = RawHttp.get(port, "/api/models", "evil.example", "");
                // An empty answer: the connection was closed first (this client is over its connection limit).
                return answer.length() < 12 ? "closed" : String.valueOf(RawHttp.status(answer));
            });
            case 8 -> {
                try (Peer.Socket s = peer.connect(port)) {
                    s.send(new JsonObject().put("op", "list"));
                    JsonArray list = s.next("runs").getJsonArray("runs");
                    if (!list.isEmpty()) {
                        String victim = list.getJsonObject(0).getString("run");
                        answered("hostile stop others' run", () -> {
                            s.send(new JsonObject().put("op", "stop").put("run", victim));
                            return s.next("error").getString("code");
                        });
                        s.send(new JsonObject().put("op", "watch").put("run", victim));
                        s.next(e -> true);
                        Thread.sleep(500);
                    }
                }
            }
            default -> {
                for (int i = 0; i < 40; i++) {
                    answered("hostile api burst", () -> String.valueOf(peer.get(port, "/api/models").status()));
                }
            }
        }
        Thread.sleep(100);
    }
}
