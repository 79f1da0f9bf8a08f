package io.filterscope.engine.net;

import com.sun.jna.Function;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * The oneDNN 2.3 C API inside ND4J's native library (libnd4jcpu.so of the oneDNN build), called directly. libnd4j links
 * oneDNN statically and exports none of its functions, so they are found by name in the library's own symbol table
 * (its {@code .symtab} section, kept in the 1.0.0-M2.1 build) and called at the library's load address plus their
 * offset, read from {@code /proc/self/maps}. {@link #available()} is false wherever any of this fails (another
 * platform, a CUDA build, a stripped library, another oneDNN version): callers then keep libnd4j's ops.
 *
 * <p>Only what {@link DirectConv}, {@link DirectRelu} and {@link DirectMaxPool} need is bound: engine and stream,
 * memory descriptors by strides, forward convolution, element-wise and pooling descriptors, post-ops, primitive
 * descriptors and their iterators (an implementation other than oneDNN's first choice), memory objects, reorders,
 * primitives and their execution. Structs whose layout callers never read (memory, convolution, element-wise and
 * pooling descriptors) live in blocks larger than oneDNN 2.3's. Constants are oneDNN 2.3's {@code dnnl_types.h}.
 */
final class OneDnn {
    /** dnnl_f32. */
    static final int F32 = 3;
    /** dnnl_format_tag_any: the primitive chooses the layout. */
    static final int FORMAT_ANY = 1;
    /** dnnl_forward_training, dnnl_forward_inference. */
    static final int FORWARD_TRAINING = 64;
    static final int FORWARD_INFERENCE = 96;
    /** dnnl_eltwise_relu (max(x, 0) with alpha 0), and the ReLU whose backward reads the output, dnnl_eltwise_relu_use_dst_for_bwd. */
    static final int ELTWISE_RELU = 0x1f;
    static final int ELTWISE_RELU_USE_DST = 0x100;
    /** dnnl_pooling_max. */
    static final int POOLING_MAX = 0x1ff;
    /** dnnl_convolution_direct. */
    static final int CONVOLUTION_DIRECT = 1;
    /** dnnl_query_src_md, dnnl_query_weights_md, dnnl_query_dst_md. */
    static final int QUERY_SRC_MD = 129;
    static final int QUERY_WEIGHTS_MD = 131;
    static final int QUERY_DST_MD = 133;
    /** dnnl_query_impl_info_str. */
    static final int QUERY_IMPL_INFO = 8;
    /** Execution argument indices. */
    static final int ARG_SRC = 1;
    static final int ARG_DST = 17;
    static final int ARG_WEIGHTS = 33;
    static final int ARG_BIAS = 41;
    static final int ARG_WORKSPACE = 64;
    static final int ARG_SCRATCHPAD = 80;
    static final int ARG_DIFF_SRC = 129;
    static final int ARG_DIFF_DST = 145;
    /** dnnl_query_workspace_md, dnnl_query_scratchpad_md. */
    static final int QUERY_WORKSPACE_MD = 135;
    static final int QUERY_SCRATCHPAD_MD = 136;
    /** dnnl_scratchpad_mode_user: a primitive's scratchpad is a memory object of its own, not oneDNN's per thread. */
    static final int SCRATCHPAD_USER = 1;
    /** DNNL_MEMORY_ALLOCATE: oneDNN allocates the memory object's buffer. */
    static final Pointer ALLOCATE = new Pointer(-1);
    /** Bytes reserved for a dnnl_memory_desc_t (about 700 in oneDNN 2.3). */
    static final int MEMORY_DESC_BYTES = 2048;
    /**
     * Bytes reserved for an op's descriptor, whichever op: in oneDNN 2.3 a dnnl_convolution_desc_t takes about 6,000, a
     * dnnl_pooling_desc_t about 3,000 (four memory descriptors and its sizes), a dnnl_eltwise_desc_t about 1,450.
     */
    static final int OP_DESC_BYTES = 16384;

    private static final Set<String> NAMES = Set.of("dnnl_version", "dnnl_engine_create", "dnnl_stream_create",
            "dnnl_stream_wait", "dnnl_memory_desc_init_by_strides", "dnnl_memory_desc_init_by_tag",
            "dnnl_memory_desc_get_size", "dnnl_convolution_forward_desc_init", "dnnl_primitive_desc_create",
            "dnnl_primitive_desc_query", "dnnl_primitive_desc_query_md", "dnnl_primitive_desc_destroy",
            "dnnl_memory_create", "dnnl_memory_set_data_handle", "dnnl_memory_destroy",
            "dnnl_reorder_primitive_desc_create", "dnnl_primitive_create", "dnnl_primitive_execute",
            "dnnl_primitive_destroy", "dnnl_stream_destroy", "dnnl_primitive_attr_create", "dnnl_primitive_attr_destroy",
            "dnnl_primitive_attr_set_scratchpad_mode", "dnnl_memory_desc_equal", "dnnl_post_ops_create",
            "dnnl_post_ops_append_eltwise", "dnnl_post_ops_destroy", "dnnl_primitive_attr_set_post_ops",
            "dnnl_eltwise_forward_desc_init", "dnnl_eltwise_backward_desc_init", "dnnl_pooling_forward_desc_init",
            "dnnl_pooling_backward_desc_init", "dnnl_primitive_desc_iterator_create", "dnnl_primitive_desc_iterator_next",
            "dnnl_primitive_desc_iterator_fetch", "dnnl_primitive_desc_iterator_destroy");

    private static final Map<String, Function> FUNCTIONS = bind();
    private static final Pointer ENGINE = FUNCTIONS == null ? null : createEngine();

    private OneDnn() {
    }

    /** Whether oneDNN's functions were found, are version 2.3, and a CPU engine was made. */
    static boolean available() {
        return ENGINE != null;
    }

    /** The CPU engine (one per process), or null when not {@link #available}. */
    static Pointer engine() {
        return ENGINE;
    }

    private static Pointer createEngine() {
        try {
            Pointer version = FUNCTIONS.get("dnnl_version").invokePointer(new Object[0]);
            if (version.getInt(0) != 2 || version.getInt(4) != 3) {
                return null;
            }
            Memory engine = new Memory(Native.POINTER_SIZE);
            if (FUNCTIONS.get("dnnl_engine_create").invokeInt(new Object[] {engine, 1 /* dnnl_cpu */, 0L}) != 0) {
                return null;
            }
            return engine.getPointer(0);
        } catch (RuntimeException | UnsatisfiedLinkError e) {
            return null;
        }
    }

    /** Calls {@code name} and throws unless it returns dnnl_success. */
    static void call(String name, Object... args) {
        int status = FUNCTIONS.get(name).invokeInt(args);
        if (status != 0) {
            throw new IllegalStateException(name + " failed: oneDNN status " + status);
        }
    }

    /** Calls {@code name}, which returns a pointer. */
    static Pointer pointer(String name, Object... args) {
        return FUNCTIONS.get(name).invokePointer(args);
    }

    /** Calls {@code name}, which returns an int. */
    static int integer(String name, Object... args) {
        return FUNCTIONS.get(name).invokeInt(args);
    }

    /** Calls {@code name}, which returns a size_t. */
    static long size(String name, Object... args) {
        return FUNCTIONS.get(name).invokeLong(args);
    }

    /** A memory descriptor of float values with these dimensions and strides (in values). */
    static Memory md(long[] shape, long[] strides) {
        Memory md = new Memory(MEMORY_DESC_BYTES);
        call("dnnl_memory_desc_init_by_strides", md, shape.length, dims(shape), F32, dims(strides));
        return md;
    }

    /** A memory descriptor of float values with these dimensions, in the layout a primitive chooses. */
    static Memory any(long[] shape) {
        Memory md = new Memory(MEMORY_DESC_BYTES);
        call("dnnl_memory_desc_init_by_tag", md, shape.length, dims(shape), F32, FORMAT_ANY);
        return md;
    }

    /** A dnnl_dims_t (12 int64) holding {@code values} first. */
    static Memory dims(long[] values) {
        Memory m = new Memory(12 * 8);
        m.clear();
        for (int i = 0; i < values.length; i++) {
            m.setLong(8L * i, values[i]);
        }
        return m;
    }

    /** A memory object of layout {@code md} over {@code buffer} ({@link #ALLOCATE}: a buffer of its own). */
    static Pointer memory(Pointer md, Pointer buffer) {
        Memory handle = new Memory(Native.POINTER_SIZE);
        call("dnnl_memory_create", handle, md, ENGINE, buffer);
        return handle.getPointer(0);
    }

    /**
     * A primitive descriptor for operation descriptor {@code desc}, with a scratchpad of its own (user mode) and the
     * post-op {@code max(x, 0)} when {@code relu}; {@code hint} is the forward primitive descriptor a backward one
     * needs, else null. Destroy it with dnnl_primitive_desc_destroy.
     */
    static Pointer primitiveDesc(Pointer desc, boolean relu, Pointer hint) {
        return primitiveDesc(desc, relu, hint, null);
    }

    /**
     * As {@link #primitiveDesc(Pointer, boolean, Pointer)} without post-ops, but of the implementation named {@code
     * impl} (as {@link #implementation} names it), or null when oneDNN has none of that name for {@code desc}.
     */
    static Pointer primitiveDesc(Pointer desc, Pointer hint, String impl) {
        return primitiveDesc(desc, false, hint, impl);
    }

    /** The name of primitive descriptor {@code pd}'s implementation, as DNNL_VERBOSE prints it: "jit:avx2", "ref". */
    static String implementation(Pointer pd) {
        Memory name = new Memory(Native.POINTER_SIZE);
        call("dnnl_primitive_desc_query", pd, QUERY_IMPL_INFO, 0, name);
        return name.getPointer(0).getString(0);
    }

    /** oneDNN's first choice of primitive descriptor when {@code impl} is null, else the first of that implementation. */
    private static Pointer primitiveDesc(Pointer desc, boolean relu, Pointer hint, String impl) {
        Memory handle = new Memory(Native.POINTER_SIZE);
        call("dnnl_primitive_attr_create", handle);
        Pointer attr = handle.getPointer(0);
        Pointer postOps = null;
        try {
            call("dnnl_primitive_attr_set_scratchpad_mode", attr, SCRATCHPAD_USER);
            if (relu) {
                call("dnnl_post_ops_create", handle);
                postOps = handle.getPointer(0);
                call("dnnl_post_ops_append_eltwise", postOps, 1f, ELTWISE_RELU, 0f, 0f);
                call("dnnl_primitive_attr_set_post_ops", attr, postOps);
            }
            if (impl == null) {
                call("dnnl_primitive_desc_create", handle, desc, attr, ENGINE, hint);
                return handle.getPointer(0);
            }
            call("dnnl_primitive_desc_iterator_create", handle, desc, attr, ENGINE, hint);
            Pointer iterator = handle.getPointer(0);
            try {
                do {
                    Pointer pd = pointer("dnnl_primitive_desc_iterator_fetch", iterator);
                    if (impl.equals(implementation(pd))) {
                        return pd;
                    }
                    call("dnnl_primitive_desc_destroy", pd);
                } while (integer("dnnl_primitive_desc_iterator_next", iterator) == 0 /* else dnnl_iterator_ends */);
                return null;
            } finally {
                call("dnnl_primitive_desc_iterator_destroy", iterator);
            }
        } finally {
            if (postOps != null) {
                call("dnnl_post_ops_destroy", postOps);
            }
            call("dnnl_primitive_attr_destroy", attr);
        }
    }

    /** The scratchpad memory primitive descriptor {@code pd} asks for, or null when it needs none. */
    static Pointer scratchpad(Pointer pd) {
        Pointer md = pointer("dnnl_primitive_desc_query_md", pd, QUERY_SCRATCHPAD_MD, 0);
        return md != null && size("dnnl_memory_desc_get_size", md) > 0 ? memory(md, ALLOCATE) : null;
    }

    /** The primitive of primitive descriptor {@code pd}. */
    static Pointer primitive(Pointer pd) {
        Memory handle = new Memory(Native.POINTER_SIZE);
        call("dnnl_primitive_create", handle, pd);
        return handle.getPointer(0);
    }

    /** A new in-order stream on the engine. */
    static Pointer stream() {
        Memory handle = new Memory(Native.POINTER_SIZE);
        call("dnnl_stream_create", handle, ENGINE, 1 /* dnnl_stream_in_order */);
        return handle.getPointer(0);
    }

    /** An array of dnnl_exec_arg_t {int arg; dnnl_memory_t memory} for the non-null memories. */
    static Memory args(int[] kinds, Pointer[] memories) {
        int count = (int) java.util.Arrays.stream(memories).filter(java.util.Objects::nonNull).count();
        Memory args = new Memory(16L * count);
        int i = 0;
        for (int k = 0; k < kinds.length; k++) {
            if (memories[k] != null) {
                args.setInt(16L * i, kinds[k]);
                args.setPointer(16L * i + 8, memories[k]);
                i++;
            }
        }
        return args;
    }

    /** The functions of {@link #NAMES} in the loaded libnd4jcpu.so, or null when any is not found. */
    private static Map<String, Function> bind() {
        try {
            long base = -1;
            Path library = null;
            for (String line : Files.readAllLines(Path.of("/proc/self/maps"))) {
                String[] f = line.trim().split("\\s+");
                if (f.length >= 6 && f[5].endsWith("/libnd4jcpu.so") && Long.parseLong(f[2], 16) == 0) {
                    base = Long.parseUnsignedLong(f[0].substring(0, f[0].indexOf('-')), 16);
                    library = Path.of(f[5]);
                    break;
                }
            }
            if (library == null) {
                return null;
            }
            Map<String, Long> offsets = symbols(library, NAMES);
            if (offsets.size() != NAMES.size()) {
                return null;
            }
            Map<String, Function> functions = new HashMap<>();
            for (Map.Entry<String, Long> e : offsets.entrySet()) {
                functions.put(e.getKey(), Function.getFunction(new Pointer(base + e.getValue())));
            }
            return functions;
        } catch (IOException | RuntimeException | UnsatisfiedLinkError e) {
            return null;
        }
    }

    /** The values (offsets from the load address) of the function symbols {@code names} in a 64-bit ELF file's .symtab. */
    static Map<String, Long> symbols(Path elf, Set<String> names) throws IOException {
        Map<String, Long> found = new HashMap<>();
        try (FileChannel ch = FileChannel.open(elf, StandardOpenOption.READ)) {
            ByteBuffer header = read(ch, 0, 64);
            if (header.getInt(0) != 0x464c457f || header.get(4) != 2 || header.get(5) != 1) {
                return found;
            }
            long shoff = header.getLong(0x28);
            int shentsize = Short.toUnsignedInt(header.getShort(0x3A));
            int shnum = Short.toUnsignedInt(header.getShort(0x3C));
            ByteBuffer sections = read(ch, shoff, (long) shentsize * shnum);
            for (int i = 0; i < shnum; i++) {
                int at = i * shentsize;
                if (sections.getInt(at + 4) != 2 /* SHT_SYMTAB */) {
                    continue;
                }
                long symOffset = sections.getLong(at + 24);
                long symSize = sections.getLong(at + 32);
                int link = sections.getInt(at + 40);
                long strOffset = sections.getLong(link * shentsize + 24);
                long strSize = sections.getLong(link * shentsize + 32);
                ByteBuffer syms = ch.map(FileChannel.MapMode.READ_ONLY, symOffset, symSize).order(ByteOrder.LITTLE_ENDIAN);
                ByteBuffer strs = ch.map(FileChannel.MapMode.READ_ONLY, strOffset, strSize);
                byte[] prefix = "dnnl_".getBytes(StandardCharsets.US_ASCII);
                for (long s = 0; s + 24 <= symSize; s += 24) {
                    int name = syms.getInt((int) s);
                    if ((syms.get((int) s + 4) & 0xf) != 2 /* STT_FUNC */ || !startsWith(strs, name, prefix)) {
                        continue;
                    }
                    String n = cString(strs, name);
                    if (names.contains(n)) {
                        found.put(n, syms.getLong((int) s + 8));
                    }
                }
            }
        }
        return found;
    }

    private static ByteBuffer read(FileChannel ch, long at, long bytes) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(Math.toIntExact(bytes)).order(ByteOrder.LITTLE_ENDIAN);
        while (b.hasRemaining() && ch.read(b, at + b.position()) >= 0) {
            // read until full or end of file
        }
        return b.flip();
    }

    private static boolean startsWith(ByteBuffer strs, int at, byte[] prefix) {
        if (at < 0 || at + prefix.length > strs.limit()) {
            return false;
        }
        for (int i = 0; i < prefix.length; i++) {
            if (strs.get(at + i) != prefix[i]) {
                return false;
            }
        }
        return true;
    }

    private static String cString(ByteBuffer strs, int at) {
        int end = at;
        while (end < strs.limit() && strs.get(end) != 0) {
            end++;
        }
        byte[] b = new byte[end - at];
        strs.get(at, b);
        return new String(b, StandardCharsets.US_ASCII);
    }
}
