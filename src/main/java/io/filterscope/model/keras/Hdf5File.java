package io.filterscope.model.keras;

import static org.bytedeco.hdf5.global.hdf5.H5Aclose;
import static org.bytedeco.hdf5.global.hdf5.H5Aexists;
import static org.bytedeco.hdf5.global.hdf5.H5Aget_space;
import static org.bytedeco.hdf5.global.hdf5.H5Aget_type;
import static org.bytedeco.hdf5.global.hdf5.H5Aopen;
import static org.bytedeco.hdf5.global.hdf5.H5Aread;
import static org.bytedeco.hdf5.global.hdf5.H5Dclose;
import static org.bytedeco.hdf5.global.hdf5.H5Dget_space;
import static org.bytedeco.hdf5.global.hdf5.H5Dopen2;
import static org.bytedeco.hdf5.global.hdf5.H5Dread;
import static org.bytedeco.hdf5.global.hdf5.H5Eset_auto2;
import static org.bytedeco.hdf5.global.hdf5.H5F_ACC_RDONLY;
import static org.bytedeco.hdf5.global.hdf5.H5Fclose;
import static org.bytedeco.hdf5.global.hdf5.H5Fopen;
import static org.bytedeco.hdf5.global.hdf5.H5Lexists;
import static org.bytedeco.hdf5.global.hdf5.H5Oclose;
import static org.bytedeco.hdf5.global.hdf5.H5Oopen;
import static org.bytedeco.hdf5.global.hdf5.H5P_DEFAULT;
import static org.bytedeco.hdf5.global.hdf5.H5S_ALL;
import static org.bytedeco.hdf5.global.hdf5.H5Sclose;
import static org.bytedeco.hdf5.global.hdf5.H5Sget_simple_extent_dims;
import static org.bytedeco.hdf5.global.hdf5.H5Sget_simple_extent_ndims;
import static org.bytedeco.hdf5.global.hdf5.H5Sget_simple_extent_npoints;
import static org.bytedeco.hdf5.global.hdf5.H5T_C_S1_g;
import static org.bytedeco.hdf5.global.hdf5.H5T_NATIVE_FLOAT_g;
import static org.bytedeco.hdf5.global.hdf5.H5T_STRING;
import static org.bytedeco.hdf5.global.hdf5.H5T_VARIABLE;
import static org.bytedeco.hdf5.global.hdf5.H5Tclose;
import static org.bytedeco.hdf5.global.hdf5.H5Tcopy;
import static org.bytedeco.hdf5.global.hdf5.H5Tget_class;
import static org.bytedeco.hdf5.global.hdf5.H5Tget_cset;
import static org.bytedeco.hdf5.global.hdf5.H5Tget_size;
import static org.bytedeco.hdf5.global.hdf5.H5Tis_variable_str;
import static org.bytedeco.hdf5.global.hdf5.H5Treclaim;
import static org.bytedeco.hdf5.global.hdf5.H5Tset_cset;
import static org.bytedeco.hdf5.global.hdf5.H5Tset_size;
import static org.bytedeco.hdf5.global.hdf5.H5open;

import java.io.Closeable;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.bytedeco.hdf5.H5E_auto2_t;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.PointerPointer;
import org.deeplearning4j.nn.modelimport.keras.Hdf5Archive;

/**
 * Read-only access to the parts of an HDF5 file a Keras model uses: string attributes (scalar or list,
 * fixed or variable length) and float datasets, addressed by slash-separated paths. Uses bytedeco's
 * HDF5 C API; the library is not thread-safe, so every call holds the same lock as DL4J's own
 * {@link Hdf5Archive}. {@link #check} first tells a non-HDF5 or truncated file apart in plain words, since
 * the library itself only says that opening failed.
 */
public final class Hdf5File implements Closeable {
    private static final byte[] SIGNATURE = {(byte) 0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};

    static {
        synchronized (Hdf5Archive.LOCK_OBJECT) {
            H5open();
            // The library prints its error stack on every failed call; failures here become exceptions.
            H5Eset_auto2(0 /* H5E_DEFAULT */, (H5E_auto2_t) null, null);
        }
    }

    /** A dataset's values (converted to float) in c-order, and its shape. */
    public record Tensor(long[] shape, float[] values) {
        public int rank() {
            return shape.length;
        }

        public String shapeText() {
            return Arrays.toString(shape);
        }
    }

    private final long file;

    private Hdf5File(long file) {
        this.file = file;
    }

    /** Opens a file after {@link #check}ing it. */
    public static Hdf5File open(Path path) throws IOException {
        check(path);
        synchronized (Hdf5Archive.LOCK_OBJECT) {
            long id = H5Fopen(path.toString(), H5F_ACC_RDONLY, H5P_DEFAULT);
            if (id < 0) {
                throw new IOException("not a readable HDF5 file (the HDF5 library cannot open it)");
            }
            return new Hdf5File(id);
        }
    }

    /**
     * Throws an {@link IOException} saying what is wrong when the file is not HDF5 (no signature where the
     * format puts it) or is shorter than its superblock says (truncated, e.g. an interrupted download).
     */
    public static void check(Path path) throws IOException {
        try (RandomAccessFile raf = new RandomAccessFile(path.toFile(), "r")) {
            long size = raf.length();
            // The superblock sits at 0, 512, 1024, 2048, ... (after an optional user block).
            for (long at = 0; at + SIGNATURE.length <= size; at = at == 0 ? 512 : at * 2) {
                byte[] head = new byte[(int) Math.min(64, size - at)];
                raf.seek(at);
                raf.readFully(head);
                if (Arrays.equals(Arrays.copyOf(head, SIGNATURE.length), SIGNATURE)) {
                    long end = endOfFile(head);
                    if (end == Long.MAX_VALUE) {
                        throw new IOException("truncated: " + size + " bytes, not even a whole HDF5 header");
                    }
                    if (end > size) {
                        throw new IOException("truncated: " + size + " bytes of the " + end + " its HDF5 header announces");
                    }
                    return;
                }
            }
            throw new IOException(size == 0 ? "empty file, not an HDF5 file" : "not an HDF5 file (no HDF5 signature)");
        }
    }

    /**
     * The end-of-file address the superblock records (the library's own truncation check compares it with
     * the file's size), or -1 if unknown; {@code Long.MAX_VALUE} if even the superblock is cut off.
     */
    private static long endOfFile(byte[] head) {
        int version = head.length > 8 ? head[8] : -1;
        // Versions 0 and 1: sizes at byte 13, addresses (base, free space, end of file, ...) from 24 or 28.
        // Versions 2 and 3: sizes at byte 9, addresses (base, extension, end of file, ...) from 12.
        int sizeAt = version <= 1 ? 13 : 9;
        int addressesAt = version == 0 ? 24 : version == 1 ? 28 : 12;
        if (version < 0 || version > 3) {
            return -1;
        }
        if (head.length <= sizeAt) {
            return Long.MAX_VALUE;
        }
        int offsetSize = head[sizeAt];
        if (offsetSize != 8 && offsetSize != 4) {
            return -1;
        }
        int eofAt = addressesAt + 2 * offsetSize;
        if (head.length < eofAt + offsetSize) {
            return Long.MAX_VALUE;
        }
        ByteBuffer b = ByteBuffer.wrap(head).order(ByteOrder.LITTLE_ENDIAN);
        return offsetSize == 8 ? b.getLong(eofAt) : b.getInt(eofAt) & 0xffffffffL;
    }

    /** Whether an object (group or dataset) exists at this path. */
    public boolean exists(String path) {
        synchronized (Hdf5Archive.LOCK_OBJECT) {
            StringBuilder prefix = new StringBuilder();
            for (String part : path.split("/")) {
                if (part.isEmpty()) {
                    continue;
                }
                prefix.append(prefix.length() == 0 ? "" : "/").append(part);
                if (H5Lexists(file, prefix.toString(), H5P_DEFAULT) <= 0) {
                    return false;
                }
            }
            return true;
        }
    }

    /** Whether the object at {@code path} ("" or "/" for the root) has that attribute. */
    public boolean hasAttribute(String path, String name) {
        synchronized (Hdf5Archive.LOCK_OBJECT) {
            if (!path.isEmpty() && !path.equals("/") && !exists(path)) {
                return false;
            }
            long obj = openObject(path);
            try {
                return H5Aexists(obj, name) > 0;
            } finally {
                H5Oclose(obj);
            }
        }
    }

    /** A string attribute (the first element of a list). */
    public String string(String path, String name) throws IOException {
        List<String> values = strings(path, name);
        if (values.isEmpty()) {
            throw new IOException("attribute " + name + " of " + where(path) + " is empty");
        }
        return values.get(0);
    }

    /**
     * A string attribute as a list: one element for a scalar; an empty list for an empty attribute of any
     * type (Keras stores an empty name list as an empty float array).
     */
    public List<String> strings(String path, String name) throws IOException {
        synchronized (Hdf5Archive.LOCK_OBJECT) {
            long obj = openObject(path);
            long attr = -1;
            long type = -1;
            long space = -1;
            try {
                attr = H5Aopen(obj, name, H5P_DEFAULT);
                if (attr < 0) {
                    throw new IOException("no attribute " + name + " on " + where(path));
                }
                type = H5Aget_type(attr);
                space = H5Aget_space(attr);
                int n = (int) H5Sget_simple_extent_npoints(space);
                if (n == 0) {
                    return List.of();
                }
                if (H5Tget_class(type) != H5T_STRING) {
                    throw new IOException("attribute " + name + " of " + where(path) + " is not text");
                }
                return H5Tis_variable_str(type) > 0 ? variableStrings(attr, type, space, n) : fixedStrings(attr, type, n);
            } finally {
                if (space >= 0) {
                    H5Sclose(space);
                }
                if (type >= 0) {
                    H5Tclose(type);
                }
                if (attr >= 0) {
                    H5Aclose(attr);
                }
                H5Oclose(obj);
            }
        }
    }

    private static List<String> fixedStrings(long attr, long type, int n) throws IOException {
        int size = (int) H5Tget_size(type);
        try (BytePointer buf = new BytePointer((long) size * n)) {
            if (H5Aread(attr, type, buf) < 0) {
                throw new IOException("cannot read a text attribute");
            }
            byte[] bytes = new byte[size * n];
            buf.get(bytes);
            List<String> out = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                int len = 0;
                while (len < size && bytes[i * size + len] != 0) {
                    len++;
                }
                out.add(new String(bytes, i * size, len, StandardCharsets.UTF_8).stripTrailing());
            }
            return out;
        }
    }

    private static List<String> variableStrings(long attr, long type, long space, int n) throws IOException {
        long memType = H5Tcopy(H5T_C_S1_g());
        try (PointerPointer<BytePointer> ptrs = new PointerPointer<>(n)) {
            H5Tset_size(memType, H5T_VARIABLE);
            // The library converts no character set into another: read as stored (h5py writes bytes as ASCII).
            H5Tset_cset(memType, H5Tget_cset(type));
            if (H5Aread(attr, memType, ptrs) < 0) {
                throw new IOException("cannot read a text attribute");
            }
            List<String> out = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                BytePointer p = ptrs.get(BytePointer.class, i);
                out.add(p == null || p.isNull() ? "" : p.getString(StandardCharsets.UTF_8));
            }
            H5Treclaim(memType, space, H5P_DEFAULT, ptrs);
            return out;
        } finally {
            H5Tclose(memType);
        }
    }

    /** A dataset's values as floats, converted by the library from whatever type it is stored as. */
    public Tensor tensor(String path) throws IOException {
        synchronized (Hdf5Archive.LOCK_OBJECT) {
            if (!exists(path)) {
                throw new IOException("no dataset " + path);
            }
            long ds = H5Dopen2(file, path, H5P_DEFAULT);
            if (ds < 0) {
                throw new IOException(path + " is not a dataset");
            }
            long space = H5Dget_space(ds);
            try {
                int rank = H5Sget_simple_extent_ndims(space);
                long[] shape = new long[Math.max(rank, 0)];
                H5Sget_simple_extent_dims(space, shape, null);
                long count = H5Sget_simple_extent_npoints(space);
                if (count > Integer.MAX_VALUE - 8) {
                    throw new IOException("dataset " + path + " is too large (" + count + " values)");
                }
                float[] values = new float[(int) count];
                try (FloatPointer buf = new FloatPointer(count)) {
                    if (H5Dread(ds, H5T_NATIVE_FLOAT_g(), H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0) {
                        throw new IOException("cannot read dataset " + path + " (damaged or not numeric)");
                    }
                    buf.get(values);
                }
                return new Tensor(shape, values);
            } finally {
                H5Sclose(space);
                H5Dclose(ds);
            }
        }
    }

    private long openObject(String path) {
        String p = path.isEmpty() ? "/" : path;
        long obj = H5Oopen(file, p, H5P_DEFAULT);
        if (obj < 0) {
            throw new IllegalArgumentException("no object " + p);
        }
        return obj;
    }

    private static String where(String path) {
        return path.isEmpty() || path.equals("/") ? "the file" : path;
    }

    @Override
    public void close() {
        synchronized (Hdf5Archive.LOCK_OBJECT) {
            H5Fclose(file);
        }
    }
}
