package io.filterscope.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.Transparency;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.WritableRaster;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageInputTest {
    private static final int LIMIT = 4_000_000;
    private static final float ONE_LEVEL = 1 / 255f;

    @TempDir
    Path dir;

    @Test
    void randomBytesAreNotAnImage() {
        byte[] bytes = new byte[1000];
        new Random(7).nextBytes(bytes);
        bytes[0] = 0; // no accidental magic number

        IOException e = assertThrows(ImageInput.NotAnImage.class, () -> ImageInput.read(bytes, LIMIT));

        assertEquals("not an image: expected PNG, JPEG, GIF or BMP", e.getMessage());
    }

    /** A phone's or a browser's format is named in the refusal, so the user knows what to convert. */
    @Test
    void commonFormatsWeDoNotReadAreNamed() throws IOException {
        var tiff = new ByteArrayOutputStream();
        ImageIO.write(new BufferedImage(4, 4, BufferedImage.TYPE_INT_RGB), "tiff", tiff);
        Map<String, byte[]> files = Map.of(
                "WebP", "RIFF\0\0\0\0WEBPVP8 ".getBytes(StandardCharsets.ISO_8859_1),
                "TIFF", tiff.toByteArray(),
                "HEIC", "\0\0\0\30ftypheic\0\0\0\0".getBytes(StandardCharsets.ISO_8859_1),
                "AVIF", "\0\0\0\34ftypavif\0\0\0\0".getBytes(StandardCharsets.ISO_8859_1),
                "PDF", "%PDF-1.7\n".getBytes(StandardCharsets.ISO_8859_1));
        files.forEach((name, bytes) -> {
            IOException e = assertThrows(ImageInput.NotAnImage.class, () -> ImageInput.read(bytes, LIMIT));
            assertEquals("a " + name + " file, which is not read: expected PNG, JPEG, GIF or BMP", e.getMessage());
        });
    }

    @Test
    void hugeDeclaredSizeIsRejectedBeforeDecoding() {
        byte[] bomb = PngBytes.declaringSize(20000, 20000);
        assertTrue(bomb.length < 100, "the test file itself is tiny: " + bomb.length);

        IOException e = assertTimeoutPreemptively(Duration.ofSeconds(2),
                () -> assertThrows(ImageInput.TooLarge.class, () -> ImageInput.read(bomb, LIMIT)));

        assertTrue(e.getMessage().contains("20000x20000"), e.getMessage());
        assertTrue(e.getMessage().contains(String.valueOf(LIMIT)), e.getMessage());
    }

    @Test
    void truncatedPngIsReportedAsCorrupt() throws IOException {
        byte[] png = encode(noise(64, 64), "png");
        byte[] truncated = Arrays.copyOf(png, png.length / 2);

        IOException e = assertThrows(IOException.class, () -> ImageInput.read(truncated, LIMIT));

        assertEquals("corrupt or truncated PNG image", e.getMessage(), "our own words, not the reader's");
        assertTrue(e.getCause() != null, "the reader's own exception kept as the cause");
    }

    @Test
    void readsPngExactlyAndJpegApproximately() throws IOException {
        BufferedImage original = solid(30, 20, new Color(200, 40, 90));

        BufferedImage png = ImageInput.read(encode(original, "png"), LIMIT);
        BufferedImage jpeg = ImageInput.read(encode(original, "jpg"), LIMIT);

        assertEquals(30, png.getWidth());
        assertEquals(20, png.getHeight());
        assertEquals(0xC8285A, png.getRGB(10, 10) & 0xFFFFFF);
        assertEquals(30, jpeg.getWidth());
        Color decoded = new Color(jpeg.getRGB(15, 10));
        assertEquals(200, decoded.getRed(), 8);
        assertEquals(40, decoded.getGreen(), 8);
        assertEquals(90, decoded.getBlue(), 8);
    }

    @Test
    void readingFilesNamesTheFileInErrors() throws IOException {
        Path good = dir.resolve("good.png");
        PngFiles.write(noise(5, 5), Map.of(), good);
        Path bad = dir.resolve("bad.png");
        Files.writeString(bad, "definitely not a picture");
        Path missing = dir.resolve("missing.png");

        assertEquals(5, ImageInput.read(good, LIMIT).getWidth());
        IOException notImage = assertThrows(IOException.class, () -> ImageInput.read(bad, LIMIT));
        assertTrue(notImage.getMessage().startsWith(bad + ": not an image"), notImage.getMessage());
        IOException notThere = assertThrows(IOException.class, () -> ImageInput.read(missing, LIMIT));
        assertTrue(notThere.getMessage().contains(missing.toString()), notThere.getMessage());
    }

    @Test
    void toPlanesResizesKeepingTheHalves() {
        BufferedImage image = new BufferedImage(56, 56, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.setColor(Color.RED);
        g.fillRect(0, 0, 28, 56); // left half red, right half black
        g.dispose();

        float[] gray = ImageInput.toPlanes(image, 1, 28, 28);
        float[] rgb = ImageInput.toPlanes(image, 3, 28, 28);

        assertEquals(28 * 28, gray.length);
        assertEquals(3 * 28 * 28, rgb.length);
        for (int y = 0; y < 28; y++) {
            for (int x = 0; x < 28; x++) {
                int i = y * 28 + x;
                boolean left = x < 14;
                assertEquals(left ? 0.299f : 0f, gray[i], 1e-3, "luminance at " + x + "," + y);
                assertEquals(left ? 1f : 0f, rgb[i], 1e-6, "red at " + x + "," + y);
                assertEquals(0f, rgb[28 * 28 + i], 1e-6, "green at " + x + "," + y);
                assertEquals(0f, rgb[2 * 28 * 28 + i], 1e-6, "blue at " + x + "," + y);
            }
        }
    }

    @Test
    void shrinkingALotAveragesFineDetailInsteadOfAliasing() {
        // 2 px wide black and white stripes: a single bilinear step to 28x28 would pick pure black or white.
        BufferedImage stripes = new BufferedImage(280, 280, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 280; y++) {
            for (int x = 0; x < 280; x++) {
                stripes.setRGB(x, y, x / 2 % 2 == 0 ? 0xFFFFFF : 0);
            }
        }

        for (float value : ImageInput.toPlanes(stripes, 1, 28, 28)) {
            assertEquals(0.5f, value, 0.1f);
        }
    }

    @Test
    void transparencyIsCompositedOverBlack() {
        BufferedImage image = new BufferedImage(4, 4, BufferedImage.TYPE_INT_ARGB);
        for (int x = 0; x < 4; x++) {
            image.setRGB(x, 0, 0x00FFFFFF); // transparent white
            image.setRGB(x, 1, 0xFFFFFFFF); // opaque white
        }

        float[] planes = ImageInput.toPlanes(image, 1, 4, 4);

        assertEquals(0f, planes[0], 1e-6);
        assertEquals(1f, planes[4], 1e-6);
    }

    @Test
    void greyPngWithAlphaKeepsItsGreyLevels() throws IOException {
        // Java2D would otherwise treat the grey as linear light and brighten 128 to 188.
        ColorModel model = new ComponentColorModel(ColorSpace.getInstance(ColorSpace.CS_GRAY), true, false,
                Transparency.TRANSLUCENT, DataBuffer.TYPE_BYTE);
        WritableRaster raster = model.createCompatibleWritableRaster(2, 2);
        for (int i = 0; i < 4; i++) {
            raster.setPixel(i % 2, i / 2, new int[] {128, 255});
        }
        byte[] png = encode(new BufferedImage(model, raster, false, null), "png");

        float[] planes = ImageInput.toPlanes(ImageInput.read(png, LIMIT), 1, 2, 2);

        for (float value : planes) {
            assertEquals(128 / 255f, value, ONE_LEVEL);
        }
    }

    @Test
    void toPlanesRejectsUnsupportedChannelCounts() {
        BufferedImage image = new BufferedImage(2, 2, BufferedImage.TYPE_INT_RGB);

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ImageInput.toPlanes(image, 4, 2, 2));

        assertTrue(e.getMessage().contains("4 input channels"), e.getMessage());
    }

    private static byte[] encode(BufferedImage image, String format) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertTrue(ImageIO.write(image, format, out), "ImageIO can write " + format);
        return out.toByteArray();
    }

    private static BufferedImage solid(int width, int height, Color colour) {
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.setColor(colour);
        g.fillRect(0, 0, width, height);
        g.dispose();
        return image;
    }

    private static BufferedImage noise(int width, int height) {
        Random random = new Random(3);
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                image.setRGB(x, y, random.nextInt(1 << 24));
            }
        }
        return image;
    }
}
