package io.filterscope.engine;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/**
 * Chooses ND4J's native build before ND4J loads: the build the jar was packaged with (the oneDNN
 * build of libnd4j on CPU, whose convolutions are several times faster than the plain one; cuDNN
 * under the cuda profile), as Maven recorded it in {@code filterscope/build.properties}; how its
 * OpenMP threads wait between ops ({@link OpenMpWaits}); that malloc keeps the pages native code frees mapped
 * for the next allocation ({@link MallocReuse}); and JavaCPP's limit on resident memory, off unless one is
 * given ({@code -Dorg.bytedeco.javacpp.maxphysicalbytes}).
 */
public final class Backend {
    private static final String EXTENSION = "org.bytedeco.javacpp.platform.extension";
    /** JavaCPP's limit on the process's resident memory, in the spelling it reads first. */
    private static final String MAX_PHYSICAL_BYTES = "org.bytedeco.javacpp.maxPhysicalBytes";

    private Backend() {
    }

    /** Must run before ND4J loads: ND4J and JavaCPP read these settings once, when its native libraries load. */
    public static void configure() {
        OpenMpWaits.apply();
        MallocReuse.apply();
        Properties build = new Properties();
        try (InputStream in = Backend.class.getResourceAsStream("/filterscope/build.properties")) {
            if (in != null) {
                build.load(in);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (System.getProperty(EXTENSION) == null) {
            System.setProperty(EXTENSION, build.getProperty("nd4j.extension", "-onednn"));
        }
        // JavaCPP checks the process's resident size against its maxphysicalbytes at every native allocation it
        // registers (op arguments, shape buffers: about 77 a step of a 28 px fashion-cnn run), reading /proc/self/statm
        // under a lock of the whole process, which a server's compute threads then queue for (docs/performance.md,
        // "Soak", tenth round). Its default limit, 4 times the heap limit, is nobody's choice: it is off unless asked for.
        if (System.getProperty(MAX_PHYSICAL_BYTES) == null && System.getProperty("org.bytedeco.javacpp.maxphysicalbytes") == null) {
            System.setProperty(MAX_PHYSICAL_BYTES, "0");
        }
        // Keep ND4J's start-up chatter out of the command line's output.
        if (System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) {
            System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        }
    }

    /** "cpu" or "cuda", from the jar's build. */
    public static String name() {
        return System.getProperty(EXTENSION, "").contains("cudnn") ? "cuda" : "cpu";
    }

    /**
     * Below this many activation values per step (a 28 px LeNet up to a batch of a few images), libnd4j's
     * ops are too small to split: waking a second thread for each costs more than it saves, and step times
     * swing. Measured on 2 cores: LeNet batch 1 median 1.7-2.2 ms on one thread against 2.6-3.9 ms on two;
     * batch 64 (3.9 million values) 28 ms on two against 38-43 ms on one.
     */
    static final long SMALL_STEP = 500_000;

    /**
     * Sets how many threads the calling thread's next ops fan out to: OpenMP's (oneDNN's and libnd4j's ops) and
     * OpenBLAS's (matrix products): one for small networks, all cores otherwise (all but one while the thread
     * {@link #shareCores shares} them). OpenMP's setting belongs to the calling thread, OpenBLAS's to the process
     * (in a server only the compute thread multiplies matrices). Asked for before every step, and made when it
     * changes. No effect under CUDA.
     */
    public static void fitThreadsTo(long activationValues) {
        int threads = activationValues < SMALL_STEP ? 1 : CORES_FOR_STEPS.get();
        if (!name().equals("cuda")) {
            var ops = org.nd4j.nativeblas.NativeOpsHolder.getInstance().getDeviceNativeOps();
            // Set only when it changes: setting is cheap, but each change makes OpenMP resize its team at the next op.
            if (ops.ompGetMaxThreads() != threads) {
                ops.setOmpNumThreads(threads);
            }
            // ND4J starts OpenBLAS with a thread per core, whatever OpenMP is told: in the soak a second thread,
            // OpenBLAS's, took 0.2-0.65 cores beside the compute thread's 0.5-0.8 (docs/performance.md, "Soak").
            var blas = org.nd4j.linalg.factory.Nd4j.factory().blas();
            if (blas.getMaxThreads() != threads) {
                blas.setMaxThreads(threads);
            }
        }
    }

    /**
     * {@link #fitThreadsTo} for work that must leave the calling thread's setting as it found it: compiling a network,
     * whose oneDNN primitives keep the thread count they were made with (docs/performance.md, "Twenty-sixth session").
     * Closing the result sets back what was set before. No effect under CUDA.
     */
    public static Threads fitThreadsFor(long activationValues) {
        if (name().equals("cuda")) {
            return new Threads(0, 0);
        }
        Threads before = new Threads(org.nd4j.nativeblas.NativeOpsHolder.getInstance().getDeviceNativeOps().ompGetMaxThreads(),
                org.nd4j.linalg.factory.Nd4j.factory().blas().getMaxThreads());
        fitThreadsTo(activationValues);
        return before;
    }

    /** A thread count of OpenMP (the calling thread's) and OpenBLAS (the process's), set again on {@link #close}. */
    public record Threads(int openMp, int blas) implements AutoCloseable {
        @Override
        public void close() {
            if (openMp > 0) {
                org.nd4j.nativeblas.NativeOpsHolder.getInstance().getDeviceNativeOps().setOmpNumThreads(openMp);
                org.nd4j.linalg.factory.Nd4j.factory().blas().setMaxThreads(blas);
            }
        }
    }

    /** Cores the calling thread's large steps fan out to (see {@link #shareCores}). */
    private static final ThreadLocal<Integer> CORES_FOR_STEPS = ThreadLocal.withInitial(() -> Runtime.getRuntime().availableProcessors());

    /**
     * Whether the calling thread's steps share the machine with other work of the same process (a server: frames
     * encoded and sent while the next step computes, queries, sockets), and with how many compute threads in all
     * ({@code computeThreads}, the calling one included; 0: it has the machine to itself). Shared, a large step fans
     * out to an equal part of every core but one (at least one), else to all. An op split over every core waits at
     * each of its barriers for the slowest thread, so one core taken by anything else stalls the whole step:
     * mnist-cnn batch 8 at 28 px took a median 535-1169 ms a step on two threads of a busy 2-core machine and
     * 27-52 ms on one (docs/performance.md, "Soak").
     */
    public static void shareCores(int computeThreads) {
        int cores = Runtime.getRuntime().availableProcessors();
        CORES_FOR_STEPS.set(computeThreads == 0 ? cores : Math.max(1, (cores - 1) / computeThreads));
    }

    /**
     * How many threads a batch's steps are split over, each stepping its own part of the batch on an equal part of the
     * cores ({@link CoreThreads}): every core on CPU, one under CUDA (the device already runs a batch's images at once).
     */
    public static int stepThreads() {
        return name().equals("cuda") ? 1 : Runtime.getRuntime().availableProcessors();
    }

    /**
     * Has the calling thread's large steps fan out to its equal part of every core, one of {@code parts} threads that
     * each step a part of one batch ({@link CoreThreads}).
     */
    public static void splitCores(int parts) {
        CORES_FOR_STEPS.set(Math.max(1, Runtime.getRuntime().availableProcessors() / parts));
    }

    /** How many devices ascent can run on: the GPUs under CUDA, one CPU otherwise. */
    public static int deviceCount() {
        return name().equals("cuda") ? org.nd4j.linalg.factory.Nd4j.getAffinityManager().getNumberOfDevices() : 1;
    }

    /**
     * Binds the calling thread to a device: ND4J then allocates and computes on it for this thread. Each
     * compute worker owns one thread pinned this way; on CPU there is one device and nothing to bind.
     */
    public static void pinCurrentThread(int device) {
        if (name().equals("cuda")) {
            org.nd4j.linalg.factory.Nd4j.getAffinityManager().unsafeSetDevice(device);
        }
    }

    /**
     * Bytes a device can still allocate: under CUDA the GPU's free memory; on CPU the machine's available
     * memory, capped by what JavaCPP still allows this process when it is given a limit
     * ({@code -Dorg.bytedeco.javacpp.maxphysicalbytes}; none by default, {@link #configure}), since ND4J's allocations fail beyond it.
     */
    public static long freeMemory(int device) {
        if (name().equals("cuda")) {
            return org.nd4j.nativeblas.NativeOpsHolder.getInstance().getDeviceNativeOps().getDeviceFreeMemory(device);
        }
        long available = org.bytedeco.javacpp.Pointer.availablePhysicalBytes();
        long max = org.bytedeco.javacpp.Pointer.maxPhysicalBytes();
        return max > 0 ? Math.max(0, Math.min(available, max - org.bytedeco.javacpp.Pointer.physicalBytes())) : available;
    }

    /**
     * Bytes the runs on a device may take unless told otherwise: three quarters of {@link #freeMemory}, the rest left to
     * what the estimates of a run's memory ({@code LoadedModel.bytesFor}) do not count.
     */
    public static long memoryBudget(int device) {
        return freeMemory(device) / 4 * 3;
    }

    /** Whether this process uses more memory than JavaCPP allows it, so that every new allocation fails. */
    public static boolean overMemoryLimit() {
        long max = org.bytedeco.javacpp.Pointer.maxPhysicalBytes();
        return max > 0 && org.bytedeco.javacpp.Pointer.physicalBytes() > max;
    }

    /**
     * Hands memory that native code has freed back to the operating system (glibc's malloc_trim, through the
     * JVM's {@code System.trim_native_heap} command). Freed ND4J buffers otherwise stay resident in malloc's
     * arenas: after one step each at eleven sizes from 512 to 432 px, a LeNet process held 2,058 MB after GC,
     * and 134 MB once trimmed. Returns false where the JVM cannot trim (another C library, an older JDK).
     */
    public static boolean trimNativeHeap() {
        try {
            java.lang.management.ManagementFactory.getPlatformMBeanServer().invoke(
                    new javax.management.ObjectName("com.sun.management:type=DiagnosticCommand"), "systemTrimNativeHeap",
                    new Object[] {null}, new String[] {String[].class.getName()});
            return true;
        } catch (javax.management.JMException | RuntimeException e) {
            return false;
        }
    }

    /** A short description of a compute device, for /api/health. */
    public static String device(int index) {
        if (name().equals("cuda")) {
            return cudaDeviceName(index);
        }
        String cpu = System.getProperty("os.arch");
        try {
            for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    cpu = line.substring(line.indexOf(':') + 1).trim();
                    break;
                }
            }
        } catch (IOException | RuntimeException e) {
            // Not Linux: the architecture will do.
        }
        return cpu + ", " + Runtime.getRuntime().availableProcessors() + " cores";
    }

    /** The GPU's name as ND4J's CUDA executioner reports it ("cuda.devicesInformation"). */
    private static String cudaDeviceName(int index) {
        Object info = org.nd4j.linalg.factory.Nd4j.getExecutioner().getEnvironmentInformation().get("cuda.devicesInformation");
        if (info instanceof java.util.List<?> devices && index < devices.size()
                && devices.get(index) instanceof java.util.Map<?, ?> device && device.get("cuda.deviceName") != null) {
            return "cuda device " + index + ": " + device.get("cuda.deviceName");
        }
        return "cuda device " + index;
    }
}
