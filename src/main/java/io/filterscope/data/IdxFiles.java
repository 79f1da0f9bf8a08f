package io.filterscope.data;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

/**
 * The IDX format of MNIST and Fashion-MNIST (unsigned bytes; gzip when the name ends in .gz).
 * The bundled models also store their example sets in it, so one reader serves both. Grey images are
 * {@code [n, height, width]} (magic 0x0803), colour images {@code [n, 3, height, width]} (magic 0x0804:
 * planar RGB, the layout of {@link LabeledImages}); labels are {@code [n]} (0x0801). Float arrays of any shape
 * (a learned image prior) are IDX's 32-bit floats, big-endian (magic 0x0D00 + the number of dimensions).
 */
public final class IdxFiles {
    private static final int UBYTE_IMAGES = 0x00000803;
    private static final int UBYTE_PLANAR_IMAGES = 0x00000804;
    private static final int UBYTE_LABELS = 0x00000801;
    private static final int FLOATS = 0x00000D00;

    private IdxFiles() {
    }

    public static LabeledImages read(Path images, Path labels) throws IOException {
        try (DataInputStream img = open(images); DataInputStream lab = open(labels)) {
            int magic = img.readInt();
            if (magic != UBYTE_PLANAR_IMAGES) {
                expectMagic(images, magic, UBYTE_IMAGES);
            }
            int n = img.readInt();
            int c = magic == UBYTE_PLANAR_IMAGES ? img.readInt() : 1;
            int h = img.readInt();
            int w = img.readInt();
            if (c != 1 && c != 3) {
                throw new IOException(images.getFileName() + " has " + c + " channels per image: expected 1 (grey) or 3 (RGB)");
            }
            expectMagic(labels, lab.readInt(), UBYTE_LABELS);
            int nl = lab.readInt();
            if (n != nl || n < 0 || h <= 0 || w <= 0 || (long) h * w > 4096 * 4096) {
                throw new IOException(images.getFileName() + " and " + labels.getFileName()
                        + " disagree or have a bad header: " + n + " images of " + h + "x" + w + ", " + nl + " labels");
            }
            float[][] pixels = new float[n][c * h * w];
            int[] l = new int[n];
            byte[] row = new byte[c * h * w];
            for (int i = 0; i < n; i++) {
                img.readFully(row);
                for (int j = 0; j < row.length; j++) {
                    pixels[i][j] = (row[j] & 0xff) / 255f;
                }
                l[i] = lab.readUnsignedByte();
            }
            return new LabeledImages(pixels, l, h, w, c);
        } catch (EOFException e) {
            throw new IOException(images.getFileName() + " or " + labels.getFileName() + " is truncated");
        }
    }

    /** Writes images (quantized to 8 bits) and labels as two IDX files (gzip when the name ends in .gz). */
    public static void write(LabeledImages set, Path images, Path labels) throws IOException {
        try (DataOutputStream img = create(images); DataOutputStream lab = create(labels)) {
            img.writeInt(set.channels() == 1 ? UBYTE_IMAGES : UBYTE_PLANAR_IMAGES);
            img.writeInt(set.size());
            if (set.channels() != 1) {
                img.writeInt(set.channels());
            }
            img.writeInt(set.height());
            img.writeInt(set.width());
            lab.writeInt(UBYTE_LABELS);
            lab.writeInt(set.size());
            for (int i = 0; i < set.size(); i++) {
                for (float v : set.pixels()[i]) {
                    img.writeByte(Math.round(Math.max(0f, Math.min(1f, v)) * 255f));
                }
                lab.writeByte(set.labels()[i]);
            }
        }
    }

    /** The mantissa bits of a 32-bit float. */
    public static final int MANTISSA_BITS = 23;

    /** A float array read from an IDX file: its dimensions and its values in row-major order. */
    public record Floats(int[] dims, float[] values) {
    }

    /** Writes {@code values} as an IDX array of 32-bit floats of these dimensions (gzip when the name ends in .gz). */
    public static void writeFloats(Path file, int[] dims, float[] values) throws IOException {
        writeFloats(file, dims, values, MANTISSA_BITS);
    }

    /**
     * Writes {@code values} as {@link #writeFloats(Path, int[], float[])} does, each rounded to its nearest float
     * with only {@code significantBits} (1-23) of mantissa: within a relative 2^-(bits + 1) of it, still a
     * 32-bit float to any reader, but with trailing zero bits that gzip packs away (emoji-cnn's prior of 128
     * components: 5.9 MB at full precision, 3.5 MB at 10 bits, an error of at most 0.05%).
     */
    public static void writeFloats(Path file, int[] dims, float[] values, int significantBits) throws IOException {
        if (significantBits < 1 || significantBits > MANTISSA_BITS) {
            throw new IllegalArgumentException("significant bits " + significantBits + " is not within 1-" + MANTISSA_BITS);
        }
        long count = 1;
        for (int d : dims) {
            count *= d;
        }
        if (count != values.length) {
            throw new IllegalArgumentException(values.length + " values for dimensions " + java.util.Arrays.toString(dims));
        }
        try (DataOutputStream out = create(file)) {
            out.writeInt(FLOATS | dims.length);
            for (int d : dims) {
                out.writeInt(d);
            }
            for (float v : values) {
                out.writeFloat(rounded(v, significantBits));
            }
        }
    }

    /** The float nearest {@code v} with only {@code bits} bits of mantissa (halves away from zero). */
    static float rounded(float v, int bits) {
        int drop = MANTISSA_BITS - bits;
        if (drop == 0 || !Float.isFinite(v)) {
            return v;
        }
        int raw = Float.floatToRawIntBits(v);
        // The sign is its own bit: adding half a unit and cutting rounds the magnitude; a carry moves the exponent up.
        return Float.intBitsToFloat((raw + (1 << (drop - 1))) & -(1 << drop));
    }

    /** Reads an IDX array of 32-bit floats. @throws IOException for another type, a bad header or a short file */
    public static Floats readFloats(Path file) throws IOException {
        try (DataInputStream in = open(file)) {
            int magic = in.readInt();
            int rank = magic & 0xff;
            if ((magic & ~0xff) != FLOATS || rank < 1 || rank > 8) {
                throw new IOException(file.getFileName() + " is not an IDX file of 32-bit floats (magic 0x" + Integer.toHexString(magic) + ")");
            }
            int[] dims = new int[rank];
            long count = 1;
            for (int i = 0; i < rank; i++) {
                dims[i] = in.readInt();
                count *= dims[i];
                if (dims[i] <= 0 || count > 1L << 28) {
                    throw new IOException(file.getFileName() + " has a bad header: dimensions " + java.util.Arrays.toString(dims));
                }
            }
            float[] values = new float[(int) count];
            for (int i = 0; i < values.length; i++) {
                values[i] = in.readFloat();
            }
            return new Floats(dims, values);
        } catch (EOFException e) {
            throw new IOException(file.getFileName() + " is truncated");
        }
    }

    private static void expectMagic(Path file, int magic, int expected) throws IOException {
        if (magic != expected) {
            throw new IOException(file.getFileName() + " is not an IDX file of unsigned bytes (magic 0x"
                    + Integer.toHexString(magic) + ")");
        }
    }

    private static DataInputStream open(Path file) throws IOException {
        InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16);
        return new DataInputStream(file.toString().endsWith(".gz") ? new GZIPInputStream(in, 1 << 16) : in);
    }

    private static DataOutputStream create(Path file) throws IOException {
        OutputStream out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 16);
        return new DataOutputStream(file.toString().endsWith(".gz") ? new GZIPOutputStream(out, 1 << 16) : out);
    }
}
