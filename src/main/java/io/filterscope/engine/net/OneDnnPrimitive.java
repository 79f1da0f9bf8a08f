package io.filterscope.engine.net;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import java.lang.ref.Cleaner;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A oneDNN primitive made once ({@link OneDnn}), with its own stream and the memory objects of its arguments: some over
 * arrays the caller passes at each {@link #run} (maps, gradients: their buffers may change between calls, the memory
 * objects then follow), the others held for the primitive's life (reordered weights, a scratchpad, a workspace). Any
 * thread may run it, one at a time. Its native objects are freed when it becomes unreachable.
 */
final class OneDnnPrimitive {
    private static final Cleaner CLEANER = Cleaner.create();

    private final Natives natives;
    /** The current buffer address of each memory of {@link Natives#passed}. */
    private final long[] addresses;

    /**
     * @param primitive the primitive, owned from now on
     * @param kinds the execution argument (DNNL_ARG_*) of each memory: passed ones first, then held, then borrowed ones
     * @param passed memory objects over the arrays given to {@link #run}, in that order, owned from now on
     * @param held memory objects for the primitive's life (null entries are left out), owned from now on
     * @param borrowed memory objects another primitive owns (a pooling's workspace), which must outlive this one's runs
     */
    OneDnnPrimitive(Pointer primitive, int[] kinds, Pointer[] passed, Pointer[] held, Pointer... borrowed) {
        natives = new Natives(primitive, OneDnn.stream(), passed, held);
        Pointer[] all = new Pointer[passed.length + held.length + borrowed.length];
        System.arraycopy(passed, 0, all, 0, passed.length);
        System.arraycopy(held, 0, all, passed.length, held.length);
        System.arraycopy(borrowed, 0, all, passed.length + held.length, borrowed.length);
        natives.args = OneDnn.args(kinds, all);
        addresses = new long[passed.length];
        CLEANER.register(this, natives);
    }

    /** Runs the primitive on these arrays (in the order of the memories passed at construction) and waits for it. */
    void run(INDArray... arrays) {
        for (int i = 0; i < arrays.length; i++) {
            long a = address(arrays[i]);
            if (a != addresses[i]) {
                OneDnn.call("dnnl_memory_set_data_handle", natives.passed[i], new Pointer(a));
                addresses[i] = a;
            }
        }
        OneDnn.call("dnnl_primitive_execute", natives.primitive, natives.stream, (int) (natives.args.size() / 16), natives.args);
        OneDnn.call("dnnl_stream_wait", natives.stream);
    }

    /** The address of an array's first value. */
    static long address(INDArray a) {
        return a.data().addressPointer().address() + a.offset() * a.data().getElementSize();
    }

    /** The native objects, destroyed together once the primitive is unreachable (never reaching back to it). */
    private static final class Natives implements Runnable {
        private final Pointer primitive;
        private final Pointer stream;
        private final Pointer[] passed;
        private final Pointer[] held;
        private Memory args;
        private boolean destroyed;

        Natives(Pointer primitive, Pointer stream, Pointer[] passed, Pointer[] held) {
            this.primitive = primitive;
            this.stream = stream;
            this.passed = passed;
            this.held = held;
        }

        @Override
        public void run() {
            if (destroyed) {
                return;
            }
            destroyed = true;
            for (Pointer[] memories : new Pointer[][] {passed, held}) {
                for (Pointer m : memories) {
                    if (m != null) {
                        OneDnn.call("dnnl_memory_destroy", m);
                    }
                }
            }
            OneDnn.call("dnnl_primitive_destroy", primitive);
            OneDnn.call("dnnl_stream_destroy", stream);
        }
    }
}
