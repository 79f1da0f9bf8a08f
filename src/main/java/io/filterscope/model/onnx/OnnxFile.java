package io.filterscope.model.onnx;

import io.filterscope.engine.net.UnsupportedLayerException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.Map;
import onnx.Onnx;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.shade.protobuf.CodedInputStream;
import org.nd4j.shade.protobuf.InvalidProtocolBufferException;

/**
 * An ONNX file as protobuf messages, through the ONNX classes generated into nd4j-api ({@code onnx.Onnx}).
 * The file is memory-mapped and parsed with aliasing, so a tensor's bytes stay in the mapping until a
 * reader turns them into an array: describing a model touches no weights. Tensors stored as external data
 * (models over 2 GB) are read from their files beside the model, which must stay inside its directory.
 */
final class OnnxFile {
    private final Path file;
    private final Onnx.ModelProto model;
    private final Map<String, MappedByteBuffer> external = new HashMap<>();

    private OnnxFile(Path file, Onnx.ModelProto model) {
        this.file = file;
        this.model = model;
    }

    /**
     * Parses a model file.
     *
     * @throws IOException when it cannot be read or is not an ONNX model, with a one-line reason
     */
    static OnnxFile open(Path file) throws IOException {
        long size = Files.size(file);
        if (size == 0) {
            throw new IOException("the file is empty");
        }
        if (size > Integer.MAX_VALUE) {
            throw new IOException("the file is over 2 GB; ONNX keeps weights of such models in external data files");
        }
        MappedByteBuffer bytes;
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            bytes = ch.map(FileChannel.MapMode.READ_ONLY, 0, size);
        }
        CodedInputStream in = CodedInputStream.newInstance(bytes);
        in.enableAliasing(true);
        Onnx.ModelProto model;
        try {
            model = Onnx.ModelProto.parseFrom(in);
        } catch (InvalidProtocolBufferException e) {
            String why = firstLine(e.getMessage());
            if (why.startsWith("While parsing a protocol message, the input ended unexpectedly")) {
                throw new IOException("truncated: its " + size + " bytes end in the middle of an ONNX field");
            }
            // Protobuf's first sentence says what is wrong; the rest guesses at why, at length.
            int end = why.indexOf(". ");
            throw new IOException("not an ONNX model (" + (end < 0 ? why.replaceFirst("\\.$", "") : why.substring(0, end)) + ")");
        }
        if (!model.hasGraph() || model.getGraph().getNodeCount() == 0) {
            throw new IOException("not an ONNX model (it has no graph)");
        }
        return new OnnxFile(file, model);
    }

    Onnx.ModelProto model() {
        return model;
    }

    Onnx.GraphProto graph() {
        return model.getGraph();
    }

    /** The opset the model imports for the default (ai.onnx) domain. */
    int opset() {
        for (Onnx.OperatorSetIdProto id : model.getOpsetImportList()) {
            if (id.getDomain().isEmpty() || id.getDomain().equals("ai.onnx")) {
                return (int) id.getVersion();
            }
        }
        // IR version 2 files had no opset_import: opset 1.
        return 1;
    }

    /** The opset the model imports for another domain, or -1. */
    int opset(String domain) {
        if (domain.isEmpty() || domain.equals("ai.onnx")) {
            return opset();
        }
        for (Onnx.OperatorSetIdProto id : model.getOpsetImportList()) {
            if (id.getDomain().equals(domain)) {
                return (int) id.getVersion();
            }
        }
        return -1;
    }

    /** A tensor's dimensions, without reading its data. */
    static long[] dims(Onnx.TensorProto t) {
        long[] d = new long[t.getDimsCount()];
        for (int i = 0; i < d.length; i++) {
            d[i] = t.getDims(i);
        }
        return d;
    }

    /**
     * A tensor's values: floating-point types as FLOAT (DOUBLE for doubles), integer and boolean types as
     * LONG, in the tensor's shape (rank 0 for a scalar).
     *
     * @throws UnsupportedLayerException for strings and other types a CNN's weights never have
     */
    INDArray tensor(Onnx.TensorProto t) throws IOException {
        long[] dims = dims(t);
        long n = 1;
        for (long d : dims) {
            n *= d;
        }
        if (n > Integer.MAX_VALUE) {
            throw new UnsupportedLayerException("tensor " + t.getName() + " has more than 2^31 values");
        }
        int count = (int) n;
        int type = t.getDataType();
        ByteBuffer raw = rawBytes(t);
        double[] d = null;
        float[] f = null;
        long[] l = null;
        switch (type) {
            case Onnx.TensorProto.DataType.FLOAT_VALUE -> {
                f = new float[count];
                if (raw != null) {
                    raw.asFloatBuffer().get(f);
                } else {
                    for (int i = 0; i < count; i++) {
                        f[i] = t.getFloatData(i);
                    }
                }
            }
            case Onnx.TensorProto.DataType.DOUBLE_VALUE -> {
                d = new double[count];
                if (raw != null) {
                    raw.asDoubleBuffer().get(d);
                } else {
                    for (int i = 0; i < count; i++) {
                        d[i] = t.getDoubleData(i);
                    }
                }
            }
            case Onnx.TensorProto.DataType.FLOAT16_VALUE, Onnx.TensorProto.DataType.BFLOAT16_VALUE -> {
                f = new float[count];
                boolean half = type == Onnx.TensorProto.DataType.FLOAT16_VALUE;
                for (int i = 0; i < count; i++) {
                    int bits = raw != null ? raw.getShort(2 * i) & 0xffff : t.getInt32Data(i) & 0xffff;
                    f[i] = half ? halfToFloat(bits) : Float.intBitsToFloat(bits << 16);
                }
            }
            case Onnx.TensorProto.DataType.INT64_VALUE -> {
                l = new long[count];
                if (raw != null) {
                    raw.asLongBuffer().get(l);
                } else {
                    for (int i = 0; i < count; i++) {
                        l[i] = t.getInt64Data(i);
                    }
                }
            }
            case Onnx.TensorProto.DataType.INT32_VALUE, Onnx.TensorProto.DataType.INT16_VALUE,
                 Onnx.TensorProto.DataType.INT8_VALUE, Onnx.TensorProto.DataType.UINT8_VALUE,
                 Onnx.TensorProto.DataType.UINT16_VALUE, Onnx.TensorProto.DataType.BOOL_VALUE -> {
                l = new long[count];
                for (int i = 0; i < count; i++) {
                    l[i] = raw == null ? t.getInt32Data(i) : switch (type) {
                        case Onnx.TensorProto.DataType.INT32_VALUE -> raw.getInt(4 * i);
                        case Onnx.TensorProto.DataType.INT16_VALUE -> raw.getShort(2 * i);
                        case Onnx.TensorProto.DataType.UINT16_VALUE -> raw.getShort(2 * i) & 0xffff;
                        case Onnx.TensorProto.DataType.INT8_VALUE -> raw.get(i);
                        default -> raw.get(i) & 0xff;
                    };
                }
            }
            default -> throw new UnsupportedLayerException("tensor " + t.getName() + " has data type "
                    + Onnx.TensorProto.DataType.forNumber(type) + ", which no supported operation takes");
        }
        INDArray a = f != null ? Nd4j.createFromArray(f) : d != null ? Nd4j.createFromArray(d) : Nd4j.createFromArray(l);
        return dims.length == 0 ? a.reshape() : a.reshape('c', dims);
    }

    /** The little-endian bytes of a tensor stored raw (in the file or externally), or null for typed fields. */
    private ByteBuffer rawBytes(Onnx.TensorProto t) throws IOException {
        if (t.getDataLocation() == Onnx.TensorProto.DataLocation.EXTERNAL) {
            return externalBytes(t);
        }
        if (t.getRawData().isEmpty()) {
            return null;
        }
        return t.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
    }

    private ByteBuffer externalBytes(Onnx.TensorProto t) throws IOException {
        String location = null;
        long offset = 0;
        long length = -1;
        for (Onnx.StringStringEntryProto e : t.getExternalDataList()) {
            switch (e.getKey()) {
                case "location" -> location = e.getValue();
                case "offset" -> offset = Long.parseLong(e.getValue());
                case "length" -> length = Long.parseLong(e.getValue());
                default -> {
                }
            }
        }
        if (location == null) {
            throw new IOException("tensor " + t.getName() + " is external but names no file");
        }
        Path dir = file.toAbsolutePath().getParent();
        Path data = dir.resolve(location).normalize();
        if (!data.startsWith(dir) || Path.of(location).isAbsolute()) {
            throw new IOException("tensor " + t.getName() + " names external data outside the model's directory: " + location);
        }
        MappedByteBuffer mapped = external.get(location);
        if (mapped == null) {
            if (!Files.isRegularFile(data)) {
                throw new IOException("tensor " + t.getName() + " is stored in " + location + ", which is missing beside the model");
            }
            try (FileChannel ch = FileChannel.open(data, StandardOpenOption.READ)) {
                if (ch.size() > Integer.MAX_VALUE) {
                    return mapRegion(ch, t, location, offset, length);
                }
                mapped = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size());
            }
            external.put(location, mapped);
        }
        long size = length >= 0 ? length : mapped.capacity() - offset;
        if (offset < 0 || offset + size > mapped.capacity()) {
            throw new IOException("tensor " + t.getName() + " lies beyond the end of " + location);
        }
        return mapped.slice((int) offset, (int) size).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** A region of an external data file over 2 GB, mapped on its own. */
    private static ByteBuffer mapRegion(FileChannel ch, Onnx.TensorProto t, String location, long offset, long length)
            throws IOException {
        long size = length >= 0 ? length : ch.size() - offset;
        if (offset < 0 || offset + size > ch.size() || size > Integer.MAX_VALUE) {
            throw new IOException("tensor " + t.getName() + " lies beyond the end of " + location);
        }
        return ch.map(FileChannel.MapMode.READ_ONLY, offset, size).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** IEEE 754 half precision (the low 16 bits) to float. */
    static float halfToFloat(int bits) {
        int sign = (bits & 0x8000) << 16;
        int exponent = (bits >>> 10) & 0x1f;
        int mantissa = bits & 0x3ff;
        if (exponent == 0x1f) {
            return Float.intBitsToFloat(sign | 0x7f800000 | (mantissa << 13));
        }
        if (exponent == 0) {
            float value = mantissa / 1024f / 16384f;
            return sign == 0 ? value : -value;
        }
        return Float.intBitsToFloat(sign | ((exponent + 112) << 23) | (mantissa << 13));
    }

    static String firstLine(String m) {
        if (m == null) {
            return "unreadable";
        }
        int nl = m.indexOf('\n');
        return (nl < 0 ? m : m.substring(0, nl)).strip();
    }

}
