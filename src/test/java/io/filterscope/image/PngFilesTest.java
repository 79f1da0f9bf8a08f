package io.filterscope.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PngFilesTest {
    @TempDir
    Path dir;

    @Test
    void textRoundTripsIncludingLongJsonAndNonLatin1() throws IOException {
        Map<String, String> text = new LinkedHashMap<>();
        text.put("Software", "FilterScope");
        text.put("filterscope", longJson());
        text.put("Title", "Müller's filters"); // Latin-1, so still tEXt
        text.put("Comment", "フィルター 7 ✓"); // needs iTXt
        Path file = dir.resolve("out.png");

        PngFiles.write(noise(6, 4), text, file);

        Map<String, String> read = PngFiles.readText(file);
        assertEquals(text, read);
        // ImageIO writes tEXt chunks (in map order) before iTXt chunks.
        assertEquals(List.of("Software", "filterscope", "Title", "Comment"), List.copyOf(read.keySet()));
        String chunks = new String(Files.readAllBytes(file), StandardCharsets.ISO_8859_1);
        assertTrue(chunks.contains("tEXtTitle\0"), "Latin-1 value in a tEXt chunk");
        assertTrue(chunks.contains("iTXtComment\0"), "non-Latin-1 value in an iTXt chunk");
    }

    @Test
    void pixelsSurviveTheRoundTrip() throws IOException {
        BufferedImage colour = noise(9, 7);
        BufferedImage gray = Tiles.gray(new float[] {0f, 0.25f, 0.5f, 1f}, 2, 2);
        Path file = dir.resolve("colour.png");

        PngFiles.write(colour, Map.of("k", "v"), file);
        BufferedImage colourBack = ImageIO.read(file.toFile());
        BufferedImage grayBack = ImageIO.read(new ByteArrayInputStream(PngFiles.encode(gray, Map.of())));

        assertArrayEquals(colour.getRGB(0, 0, 9, 7, null, 0, 9), colourBack.getRGB(0, 0, 9, 7, null, 0, 9));
        assertArrayEquals(new int[] {0, 64, 128, 255}, grayBack.getRaster().getPixels(0, 0, 2, 2, (int[]) null));
    }

    @Test
    void writeCreatesParentDirectoriesAndMatchesEncode() throws IOException {
        BufferedImage image = noise(3, 3);
        Map<String, String> text = Map.of("seed", "1");
        Path file = dir.resolve("a/b/c.png");

        PngFiles.write(image, text, file);

        assertArrayEquals(PngFiles.encode(image, text), Files.readAllBytes(file));
    }

    @Test
    void readsCompressedZtxtAndItxtChunks() throws IOException {
        byte[] png = PngFiles.encode(noise(2, 2), Map.of());
        byte[] ztxt = PngBytes.concat("zkey\0\0".getBytes(StandardCharsets.ISO_8859_1),
                PngBytes.deflate("zipped Latin-1 é".getBytes(StandardCharsets.ISO_8859_1)));
        byte[] itxt = PngBytes.concat("ikey\0\1\0en\0\0".getBytes(StandardCharsets.ISO_8859_1),
                PngBytes.deflate("zipped ünïcødé ✓".getBytes(StandardCharsets.UTF_8)));
        Path file = dir.resolve("compressed.png");
        Files.write(file, PngBytes.withChunkAfterHeader(
                PngBytes.withChunkAfterHeader(png, PngBytes.chunk("iTXt", itxt)), PngBytes.chunk("zTXt", ztxt)));

        Map<String, String> read = PngFiles.readText(file);

        assertEquals(List.of("zkey", "ikey"), List.copyOf(read.keySet()));
        assertEquals("zipped Latin-1 é", read.get("zkey"));
        assertEquals("zipped ünïcødé ✓", read.get("ikey"));
    }

    @Test
    void readingANonPngFileSaysSoAndNamesIt() throws IOException {
        Path file = dir.resolve("notes.txt");
        Files.writeString(file, "just some text, long enough to fill a PNG signature");

        IOException e = assertThrows(IOException.class, () -> PngFiles.readText(file));

        assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("not a PNG"), e.getMessage());
    }

    @Test
    void readingATruncatedPngSaysSo() throws IOException {
        byte[] png = PngFiles.encode(noise(8, 8), Map.of("k", "v"));
        Path file = dir.resolve("cut.png");
        Files.write(file, Arrays.copyOf(png, png.length / 2));

        IOException e = assertThrows(IOException.class, () -> PngFiles.readText(file));

        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
    }

    @Test
    void keywordsFollowThePngRules() throws IOException {
        BufferedImage image = noise(1, 1);
        String longest = "k".repeat(79);
        Path file = dir.resolve("longest-keyword.png");
        PngFiles.write(image, Map.of(longest, "ok"), file);
        assertEquals(Map.of(longest, "ok"), PngFiles.readText(file));

        for (String keyword : List.of("", "k".repeat(80), " padded", "two  spaces", "naïve ✓")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> PngFiles.encode(image, Map.of(keyword, "value")), keyword);
            assertTrue(e.getMessage().contains("keyword"), e.getMessage());
        }
    }

    private static String longJson() {
        StringBuilder json = new StringBuilder("{\"model\":\"fashion-cnn\",\"filters\":[");
        for (int i = 0; i < 2000; i++) {
            json.append(i == 0 ? "" : ",").append("{\"index\":").append(i).append(",\"score\":").append(i * 0.001).append('}');
        }
        return json.append("]}").toString();
    }

    private static BufferedImage noise(int width, int height) {
        Random random = new Random(42);
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                image.setRGB(x, y, random.nextInt(1 << 24));
            }
        }
        return image;
    }

    @Test
    void framePngsDecodeToThePixelsOfTheirPlanesCompressedOrStored() throws IOException {
        java.util.Random random = new java.util.Random(3);
        // 160 x 150 RGB is 72,150 bytes of scanlines: two stored blocks.
        for (int[] size : new int[][] {{37, 20}, {28, 28}, {160, 150}}) {
            for (int channels : new int[] {1, 3}) {
                int w = size[0];
                int h = size[1];
                float[] planes = new float[channels * w * h];
                for (int i = 0; i < planes.length; i++) {
                    planes[i] = random.nextFloat() * 1.2f - 0.1f; // some below 0 and above 1: clamped
                }
                planes[5] = Float.NaN;
                BufferedImage expected = Tiles.fromPlanes(planes, channels, w, h);
                for (boolean compress : new boolean[] {true, false}) {
                    byte[] png = PngFiles.encodeFrame(planes, channels, w, h, compress);
                    BufferedImage decoded = javax.imageio.ImageIO.read(new java.io.ByteArrayInputStream(png));
                    String what = w + "x" + h + "x" + channels + (compress ? " compressed" : " stored");
                    assertEquals(w, decoded.getWidth(), what);
                    assertEquals(h, decoded.getHeight(), what);
                    assertEquals(channels, decoded.getRaster().getNumBands(), what);
                    for (int y = 0; y < h; y++) {
                        for (int x = 0; x < w; x++) {
                            for (int c = 0; c < channels; c++) {
                                assertEquals(expected.getRaster().getSample(x, y, c), decoded.getRaster().getSample(x, y, c),
                                        what + ", pixel " + x + "," + y + " channel " + c);
                            }
                        }
                    }
                    if (!compress) {
                        // Stored: the scanlines (a filter byte a row) plus 11 bytes of zlib framing, 5 more a further block.
                        int raw = h * (1 + w * channels);
                        assertEquals(raw + 11 + 5 * ((raw - 1) / 65_535), idatLength(png), what);
                    }
                }
            }
        }
    }

    @Test
    void framesOfOtherChannelCountsOrLengthsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> PngFiles.encodeFrame(new float[8], 2, 2, 2, true));
        assertThrows(IllegalArgumentException.class, () -> PngFiles.encodeFrame(new float[5], 1, 2, 2, false));
    }

    /** The length of the first IDAT chunk of {@code png}. */
    private static int idatLength(byte[] png) {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(png, 8, png.length - 8);
        while (b.remaining() >= 8) {
            int length = b.getInt();
            byte[] type = new byte[4];
            b.get(type);
            if (new String(type, java.nio.charset.StandardCharsets.US_ASCII).equals("IDAT")) {
                return length;
            }
            b.position(b.position() + length + 4);
        }
        throw new AssertionError("no IDAT chunk");
    }
}
