package io.filterscope.engine;

import com.sun.jna.Native;
import com.sun.jna.Platform;

/**
 * Keeps the pages of memory that native code frees mapped for its next allocation, instead of handing them back to
 * the system at once (glibc's malloc, through {@code mallopt}).
 *
 * <p>oneDNN copies a convolution's weights into its blocked order at every call, into a buffer it allocates and frees
 * around the call (9.4 MB for a 512-channel 3x3 layer; 40 MB a pass for VGG16 to block5_conv1). With glibc's defaults
 * such a buffer is mapped afresh at each call in some processes (a buffer above the mmap threshold is its own mapping;
 * a thread's arena deletes a heap that has emptied and trims its top), and every page of it is faulted in and zeroed
 * by the kernel again: 8,000-25,000 page faults a VGG16 step at 128 px, 94% of them in oneDNN's weight reorder,
 * steps 1.5-3x slower than in processes whose buffers happened to stay mapped (docs/performance.md, "Pages that
 * stay mapped"). Settings:
 * <ul>
 * <li>{@link #MMAP_THRESHOLD}: buffers up to 32 MB (glibc's largest threshold) come from the arenas, not mappings
 * of their own;</li>
 * <li>{@link #TRIM_THRESHOLD}: 256 MB, above a thread arena's largest heap (64 MB), so those heaps never shrink on
 * their own; the main arena still hands back a free top larger than that;</li>
 * <li>{@link #TOP_PAD}: 64 MB of padding, a whole heap of a thread's arena, so an emptied heap is never deleted
 * (glibc keeps a heap while the one before it has less room than the pad) and heaps are reserved whole.</li>
 * </ul>
 * Memory freed stays with the process until {@link Backend#trimNativeHeap} (malloc_trim, which ignores these
 * settings), as the server already calls once networks are freed. Processes that do not use glibc are left alone.
 */
final class MallocReuse {
    /** mallopt's parameter numbers (glibc's malloc.h). */
    static final int M_TRIM_THRESHOLD = -1;
    static final int M_TOP_PAD = -2;
    static final int M_MMAP_THRESHOLD = -3;

    static final int MMAP_THRESHOLD = 32 << 20;
    static final int TRIM_THRESHOLD = 256 << 20;
    static final int TOP_PAD = 64 << 20;

    private MallocReuse() {
    }

    /**
     * Applies the settings; returns whether glibc took all three (false on other C libraries, where nothing is set).
     * Settings apply to every arena from the next allocation on, so this may run at any time, best before ND4J loads.
     */
    static boolean apply() {
        if (!Platform.isLinux() || !Platform.is64Bit()) {
            return false;
        }
        try {
            return C.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD) == 1 && C.mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD) == 1
                    && C.mallopt(M_TOP_PAD, TOP_PAD) == 1;
        } catch (UnsatisfiedLinkError e) {
            // A C library without mallopt (musl has none).
            return false;
        }
    }

    /** The C library's malloc settings, through JNA. */
    private static final class C {
        static {
            Native.register("c");
        }

        static native int mallopt(int parameter, int value);
    }
}
