package io.filterscope.image;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32;
import java.util.zip.DeflaterOutputStream;

/** Hand-made PNG pieces, for files that ImageIO would refuse to write. */
final class PngBytes {
    static final byte[] SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
    /** The signature plus the IHDR chunk (4 + 4 + 13 + 4 bytes): where a new chunk can go. */
    static final int AFTER_IHDR = SIGNATURE.length + 25;

    private PngBytes() {}

    /** A chunk: length, type, data and the CRC over type and data. */
    static byte[] chunk(String type, byte[] data) {
        byte[] typeBytes = type.getBytes(StandardCharsets.US_ASCII);
        CRC32 crc = new CRC32();
        crc.update(typeBytes);
        crc.update(data);
        return ByteBuffer.allocate(12 + data.length)
                .putInt(data.length).put(typeBytes).put(data).putInt((int) crc.getValue())
                .array();
    }

    /** A 1-bit greyscale PNG that declares {@code width} x {@code height} but holds almost no data. */
    static byte[] declaringSize(int width, int height) {
        byte[] header = ByteBuffer.allocate(13).putInt(width).putInt(height)
                .put((byte) 1).put((byte) 0).put((byte) 0).put((byte) 0).put((byte) 0)
                .array();
        return concat(SIGNATURE, chunk("IHDR", header), chunk("IDAT", deflate(new byte[1])), chunk("IEND", new byte[0]));
    }

    /** {@code png} with an extra chunk right after IHDR. */
    static byte[] withChunkAfterHeader(byte[] png, byte[] chunk) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(png, 0, AFTER_IHDR);
        out.writeBytes(chunk);
        out.write(png, AFTER_IHDR, png.length - AFTER_IHDR);
        return out.toByteArray();
    }

    static byte[] deflate(byte[] data) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (DeflaterOutputStream deflater = new DeflaterOutputStream(out)) {
            deflater.write(data);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] part : parts) {
            out.writeBytes(part);
        }
        return out.toByteArray();
    }
}
