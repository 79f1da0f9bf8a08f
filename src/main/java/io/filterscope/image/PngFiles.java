package io.filterscope.image;

import io.filterscope.InputFile;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.InflaterInputStream;
import java.util.zip.ZipException;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageTypeSpecifier;
import javax.imageio.ImageWriter;
import javax.imageio.metadata.IIOMetadata;
import javax.imageio.metadata.IIOMetadataNode;
import javax.imageio.stream.ImageOutputStream;

/**
 * PNG files that carry text (tEXt/iTXt chunks), so that a rendered image records how it was made.
 * Writing goes through ImageIO's PNG metadata; reading walks the chunks itself so that entries come back
 * in file order without decoding any pixels.
 */
public final class PngFiles {
    private static final String METADATA_FORMAT = "javax_imageio_png_1.0";
    private static final byte[] SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
    private static final int MAX_KEYWORD_LENGTH = 79;

    static {
        // Encoding happens in memory; ImageIO's default disk cache would only add temp files and latency.
        ImageIO.setUseCache(false);
    }

    private PngFiles() {}

    /**
     * A live run's frame as a plain PNG (no text), written directly from its planes [c, h, w] with values in [0, 1]
     * (clamped and rounded as {@link Tiles#fromPlanes} does): 8-bit grey for one channel, RGB for three. For the small
     * frames of a live run ImageIO's per-image set-up costs more than the pixels. With {@code compress} false the pixels
     * go in deflate's stored blocks (RFC 1951, 3.2.4) without zlib: a zlib stream allocates about 256 KB and clears 64 KB
     * of it, more than a 28 px frame's 800 bytes, whose noisy pixels deflate by a tenth at most.
     *
     * @throws IllegalArgumentException when {@code channels} is not 1 or 3 or the planes do not hold c * h * w values
     */
    public static byte[] encodeFrame(float[] planes, int channels, int width, int height, boolean compress) {
        if (channels != 1 && channels != 3) {
            throw new IllegalArgumentException("cannot make a frame from " + channels + " channels: expected 1 or 3");
        }
        Tiles.checkLength(planes, channels, width, height);
        int plane = width * height;
        byte[] raw = new byte[height * (1 + width * channels)];
        int at = 0;
        for (int y = 0; y < height; y++) {
            raw[at++] = 0; // filter type: none
            for (int p = y * width; p < (y + 1) * width; p++) {
                for (int c = 0; c < channels; c++) {
                    raw[at++] = (byte) Tiles.level(planes[c * plane + p]);
                }
            }
        }
        java.nio.ByteBuffer header = java.nio.ByteBuffer.allocate(13).putInt(width).putInt(height)
                .put((byte) 8).put((byte) (channels == 1 ? 0 : 2)).put((byte) 0).put((byte) 0).put((byte) 0);
        byte[] idat = compress ? deflate(raw) : stored(raw);
        ByteArrayOutputStream png = new ByteArrayOutputStream(idat.length + 64);
        png.writeBytes(SIGNATURE);
        chunk(png, "IHDR", header.array());
        chunk(png, "IDAT", idat);
        chunk(png, "IEND", new byte[0]);
        return png.toByteArray();
    }

    /** {@code raw} as a zlib stream at the fastest compression. */
    private static byte[] deflate(byte[] raw) {
        java.util.zip.Deflater deflater = new java.util.zip.Deflater(java.util.zip.Deflater.BEST_SPEED);
        ByteArrayOutputStream idat = new ByteArrayOutputStream(raw.length / 2 + 64);
        try {
            deflater.setInput(raw);
            deflater.finish();
            byte[] chunk = new byte[8192];
            while (!deflater.finished()) {
                idat.write(chunk, 0, deflater.deflate(chunk));
            }
        } finally {
            deflater.end(); // frees zlib's native memory now rather than at some later GC
        }
        return idat.toByteArray();
    }

    /** Deflate's largest stored block, in bytes. */
    private static final int STORED_BLOCK = 65_535;

    /**
     * {@code raw} as a zlib stream of stored (uncompressed) blocks: the two-byte header, each block's header byte
     * (last or not, type 00) and its length and the length's complement (little-endian), then the Adler-32 of
     * {@code raw} (big-endian).
     */
    static byte[] stored(byte[] raw) {
        int blocks = Math.max(1, (raw.length + STORED_BLOCK - 1) / STORED_BLOCK);
        java.nio.ByteBuffer out = java.nio.ByteBuffer.allocate(2 + 5 * blocks + raw.length + 4);
        out.put((byte) 0x78).put((byte) 0x01); // deflate with a 32 KB window, no dictionary; 0x7801 is a multiple of 31
        int from = 0;
        do {
            int length = Math.min(STORED_BLOCK, raw.length - from);
            boolean last = from + length == raw.length;
            out.put((byte) (last ? 1 : 0));
            out.put((byte) length).put((byte) (length >> 8)).put((byte) ~length).put((byte) (~length >> 8));
            out.put(raw, from, length);
            from += length;
        } while (from < raw.length);
        java.util.zip.Adler32 adler = new java.util.zip.Adler32();
        adler.update(raw);
        out.putInt((int) adler.getValue());
        return out.array();
    }

    private static void chunk(ByteArrayOutputStream png, String type, byte[] data) {
        byte[] typeBytes = type.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        java.util.zip.CRC32 crc = new java.util.zip.CRC32();
        crc.update(typeBytes);
        crc.update(data);
        png.writeBytes(java.nio.ByteBuffer.allocate(4).putInt(data.length).array());
        png.writeBytes(typeBytes);
        png.writeBytes(data);
        png.writeBytes(java.nio.ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
    }

    /** Writes {@code image} as a PNG with one text chunk per entry, creating parent directories. */
    public static void write(BufferedImage image, Map<String, String> text, Path file) throws IOException {
        byte[] png = encode(image, text);
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        Files.write(file, png);
    }

    /**
     * Encodes {@code image} as PNG bytes. Latin-1 values go in tEXt chunks, others in UTF-8 iTXt chunks;
     * ImageIO writes all tEXt chunks before all iTXt chunks.
     */
    public static byte[] encode(BufferedImage image, Map<String, String> text) {
        if (image == null || text == null) {
            throw new IllegalArgumentException("image and text must not be null");
        }
        ImageWriter writer = ImageIO.getImageWritersByFormatName("png").next();
        try (ByteArrayOutputStream bytes = new ByteArrayOutputStream();
                ImageOutputStream out = ImageIO.createImageOutputStream(bytes)) {
            IIOMetadata metadata = writer.getDefaultImageMetadata(ImageTypeSpecifier.createFromRenderedImage(image), null);
            metadata.mergeTree(METADATA_FORMAT, textTree(text));
            writer.setOutput(out);
            writer.write(new IIOImage(image, null, metadata));
            out.flush();
            return bytes.toByteArray();
        } catch (IOException e) {
            // Only in-memory streams are involved, so this is a bug or an unencodable image, not bad input.
            throw new IllegalStateException("cannot encode PNG: " + e.getMessage(), e);
        } finally {
            writer.dispose();
        }
    }

    /** Reads all tEXt, iTXt and zTXt entries in file order; a repeated keyword keeps its last value. */
    public static Map<String, String> readText(Path file) throws IOException {
        try (DataInputStream in = new DataInputStream(Files.newInputStream(InputFile.check(file, "a PNG file")))) {
            if (!Arrays.equals(in.readNBytes(SIGNATURE.length), SIGNATURE)) {
                throw new IOException(file + " is not a PNG file");
            }
            return readTextChunks(in);
        } catch (EOFException e) {
            throw new IOException(file + " is a truncated PNG file", e);
        } catch (MalformedTextChunk e) {
            throw new IOException(file + ": " + e.getMessage(), e);
        }
    }

    private static IIOMetadataNode textTree(Map<String, String> text) {
        IIOMetadataNode latin1 = new IIOMetadataNode("tEXt");
        IIOMetadataNode unicode = new IIOMetadataNode("iTXt");
        text.forEach((keyword, value) -> {
            checkKeyword(keyword);
            if (value == null || value.indexOf('\0') >= 0) {
                throw new IllegalArgumentException("PNG text value for '" + keyword + "' must be non-null without NUL characters");
            }
            if (isLatin1(value)) {
                IIOMetadataNode entry = new IIOMetadataNode("tEXtEntry");
                entry.setAttribute("keyword", keyword);
                entry.setAttribute("value", value);
                latin1.appendChild(entry);
            } else {
                IIOMetadataNode entry = new IIOMetadataNode("iTXtEntry");
                entry.setAttribute("keyword", keyword);
                entry.setAttribute("compressionFlag", "FALSE");
                entry.setAttribute("compressionMethod", "0");
                entry.setAttribute("languageTag", "");
                entry.setAttribute("translatedKeyword", "");
                entry.setAttribute("text", value);
                unicode.appendChild(entry);
            }
        });
        IIOMetadataNode root = new IIOMetadataNode(METADATA_FORMAT);
        // An empty tEXt/iTXt node is rejected by mergeTree, so only non-empty ones are added.
        if (latin1.hasChildNodes()) {
            root.appendChild(latin1);
        }
        if (unicode.hasChildNodes()) {
            root.appendChild(unicode);
        }
        return root;
    }

    /** The PNG spec: 1-79 printable Latin-1 characters, no leading, trailing or double spaces. */
    private static void checkKeyword(String keyword) {
        boolean valid = keyword != null && !keyword.isEmpty() && keyword.length() <= MAX_KEYWORD_LENGTH
                && !keyword.startsWith(" ") && !keyword.endsWith(" ") && !keyword.contains("  ")
                && keyword.chars().allMatch(c -> (c >= 32 && c <= 126) || (c >= 161 && c <= 255));
        if (!valid) {
            throw new IllegalArgumentException("invalid PNG text keyword '" + keyword
                    + "': must be 1-" + MAX_KEYWORD_LENGTH + " printable Latin-1 characters without leading, trailing or double spaces");
        }
    }

    private static boolean isLatin1(String value) {
        return value.chars().allMatch(c -> c <= 0xFF);
    }

    private static Map<String, String> readTextChunks(DataInputStream in) throws IOException {
        Map<String, String> text = new LinkedHashMap<>();
        while (true) {
            long length = Integer.toUnsignedLong(in.readInt());
            String type = new String(in.readNBytes(4), StandardCharsets.ISO_8859_1);
            if (type.equals("IEND")) {
                return text;
            }
            if (type.equals("tEXt") || type.equals("iTXt") || type.equals("zTXt")) {
                // readNBytes grows its buffer as data arrives, so a lying length cannot allocate gigabytes.
                byte[] data = in.readNBytes((int) Math.min(length, Integer.MAX_VALUE));
                if (data.length != length) {
                    throw new EOFException();
                }
                putTextChunk(type, data, text);
            } else {
                in.skipNBytes(length);
            }
            in.skipNBytes(4); // CRC
        }
    }

    private static void putTextChunk(String type, byte[] data, Map<String, String> text) throws IOException {
        int keywordEnd = indexOfNul(data, 0);
        String keyword = new String(data, 0, keywordEnd, StandardCharsets.ISO_8859_1);
        switch (type) {
            case "tEXt" -> text.put(keyword, new String(data, keywordEnd + 1, data.length - keywordEnd - 1, StandardCharsets.ISO_8859_1));
            // zTXt: keyword NUL, compression method, deflated Latin-1 text.
            case "zTXt" -> text.put(keyword, new String(inflate(data, keywordEnd + 2), StandardCharsets.ISO_8859_1));
            default -> {
                // iTXt: keyword NUL, compression flag, method, language tag NUL, translated keyword NUL, UTF-8 text.
                boolean compressed = data.length > keywordEnd + 1 && data[keywordEnd + 1] != 0;
                int languageEnd = indexOfNul(data, keywordEnd + 3);
                int textStart = indexOfNul(data, languageEnd + 1) + 1;
                byte[] utf8 = compressed ? inflate(data, textStart) : Arrays.copyOfRange(data, textStart, data.length);
                text.put(keyword, new String(utf8, StandardCharsets.UTF_8));
            }
        }
    }

    private static int indexOfNul(byte[] data, int from) throws IOException {
        for (int i = from; i < data.length; i++) {
            if (data[i] == 0) {
                return i;
            }
        }
        throw new MalformedTextChunk("missing NUL separator");
    }

    private static byte[] inflate(byte[] data, int offset) throws IOException {
        if (offset > data.length) {
            throw new MalformedTextChunk("compressed text is missing");
        }
        try (InputStream in = new InflaterInputStream(new ByteArrayInputStream(data, offset, data.length - offset))) {
            return in.readAllBytes();
        } catch (ZipException e) {
            throw new MalformedTextChunk("bad compressed text (" + e.getMessage() + ")");
        }
    }

    /** A text chunk that breaks the PNG spec; {@link #readText} adds the file name to the message. */
    private static final class MalformedTextChunk extends IOException {
        MalformedTextChunk(String problem) {
            super("malformed PNG text chunk: " + problem);
        }
    }
}
