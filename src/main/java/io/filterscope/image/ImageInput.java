package io.filterscope.image;

import io.filterscope.InputFile;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;

/** Untrusted images (uploads, files named on the command line) turned into model inputs. */
public final class ImageInput {
    private ImageInput() {}

    /**
     * Decodes a PNG, JPEG, GIF or BMP image, first checking the size its header declares against
     * {@code maxPixels}, so that a small file cannot make us allocate a huge image (a decompression bomb).
     * A JPEG is turned upright as its EXIF orientation says (a phone's portrait photo is stored sideways).
     */
    public static BufferedImage read(byte[] bytes, int maxPixels) throws IOException {
        return read(bytes, maxPixels, Integer.MAX_VALUE);
    }

    /**
     * {@link #read(byte[], int)} that also refuses an image wider or taller than {@code maxSide} pixels: a
     * 39,000,000 x 1 image has few pixels but is no picture, and stretching it costs far more than decoding it.
     *
     * @throws NotAnImage for bytes of no format read here (a WebP, TIFF, HEIC, AVIF or PDF file is named as such)
     * @throws TooLarge   for an image whose header declares more than either limit
     * @throws IOException for a broken image of a format read here
     */
    public static BufferedImage read(byte[] bytes, int maxPixels, int maxSide) throws IOException {
        BufferedImage image = decode(bytes, maxPixels, maxSide);
        return startsWith(bytes, 0xFF, 0xD8, 0xFF) ? Orientation.upright(image, Orientation.ofJpeg(bytes)) : image;
    }

    private static BufferedImage decode(byte[] bytes, int maxPixels, int maxSide) throws IOException {
        if (maxPixels < 1 || maxSide < 1) {
            throw new IllegalArgumentException("limits must be positive, got " + maxPixels + " pixels, " + maxSide + " px a side");
        }
        String format = sniffFormat(bytes);
        ImageReader reader = ImageIO.getImageReadersByFormatName(format).next();
        try (ImageInputStream in = new MemoryCacheImageInputStream(new ByteArrayInputStream(bytes))) {
            reader.setInput(in, true, true);
            Size size = declaredSize(reader, format);
            long pixels = (long) size.width() * size.height();
            if (pixels > maxPixels) {
                throw new TooLarge("image is " + size.width() + "x" + size.height() + " = " + pixels
                        + " pixels, more than the limit of " + maxPixels);
            }
            if (size.width() > maxSide || size.height() > maxSide) {
                throw new TooLarge("image is " + size.width() + "x" + size.height() + " pixels, more than the limit of "
                        + maxSide + " pixels a side");
            }
            return decode(reader, format);
        } finally {
            reader.dispose();
        }
    }

    /** Bytes of no format read here: an upload's 415. */
    public static final class NotAnImage extends IOException {
        NotAnImage(String message) {
            super(message);
        }
    }

    /** An image whose header declares more pixels, or a longer side, than allowed: an upload's 413. */
    public static final class TooLarge extends IOException {
        TooLarge(String message) {
            super(message);
        }
    }

    /** {@link #read(byte[], int)} for a file; error messages name the file. */
    public static BufferedImage read(Path file, int maxPixels) throws IOException {
        byte[] bytes = Files.readAllBytes(InputFile.check(file, "an image"));
        try {
            return read(bytes, maxPixels);
        } catch (IOException e) {
            throw new IOException(file + ": " + e.getMessage(), e);
        }
    }

    /**
     * Resizes {@code image} to {@code width} x {@code height} and returns planar CHW floats in [0,1]:
     * one luminance plane (0.299 R + 0.587 G + 0.114 B) or R, G and B planes. Transparent parts count as black.
     */
    public static float[] toPlanes(BufferedImage image, int channels, int width, int height) {
        if (image == null) {
            throw new IllegalArgumentException("image must not be null");
        }
        if (channels != 1 && channels != 3) {
            throw new IllegalArgumentException("cannot make " + channels + " input channels from an image: expected 1 or 3");
        }
        if (width <= 0 || height <= 0) {
            throw new IllegalArgumentException("input size must be positive, got " + width + "x" + height);
        }
        int plane = width * height;
        int[] pixels = resize(displayValues(image), width, height).getRGB(0, 0, width, height, null, 0, width);
        float[] planes = new float[channels * plane];
        for (int i = 0; i < plane; i++) {
            float r = (pixels[i] >> 16 & 0xFF) / 255f;
            float g = (pixels[i] >> 8 & 0xFF) / 255f;
            float b = (pixels[i] & 0xFF) / 255f;
            if (channels == 1) {
                planes[i] = Math.min(1f, 0.299f * r + 0.587f * g + 0.114f * b);
            } else {
                planes[i] = r;
                planes[plane + i] = g;
                planes[2 * plane + i] = b;
            }
        }
        return planes;
    }

    /** The ImageIO format name for the magic bytes at the start of {@code bytes}. */
    private static String sniffFormat(byte[] bytes) throws IOException {
        if (startsWith(bytes, 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n')) {
            return "png";
        }
        if (startsWith(bytes, 0xFF, 0xD8, 0xFF)) {
            return "jpeg";
        }
        if (startsWith(bytes, 'G', 'I', 'F', '8', '7', 'a') || startsWith(bytes, 'G', 'I', 'F', '8', '9', 'a')) {
            return "gif";
        }
        if (startsWith(bytes, 'B', 'M')) {
            return "bmp";
        }
        String other = otherFormat(bytes);
        throw new NotAnImage((other == null ? "not an image" : "a " + other + " file, which is not read")
                + ": expected PNG, JPEG, GIF or BMP");
    }

    /**
     * The name of a common format we do not read, from its magic bytes (a phone's HEIC photo, a browser's WebP), so the
     * refusal says what the file is; null for anything else.
     */
    private static String otherFormat(byte[] bytes) {
        if (startsWith(bytes, 'R', 'I', 'F', 'F') && bytes.length >= 12 && new String(bytes, 8, 4, StandardCharsets.ISO_8859_1).equals("WEBP")) {
            return "WebP";
        }
        if (startsWith(bytes, 'I', 'I', '*', 0) || startsWith(bytes, 'M', 'M', 0, '*')) {
            return "TIFF";
        }
        if (bytes != null && bytes.length >= 12 && new String(bytes, 4, 4, StandardCharsets.ISO_8859_1).equals("ftyp")) {
            String brand = new String(bytes, 8, 4, StandardCharsets.ISO_8859_1);
            if (brand.startsWith("avi")) {
                return "AVIF";
            }
            if (brand.startsWith("hei") || brand.startsWith("hev") || brand.equals("mif1") || brand.equals("msf1")) {
                return "HEIC";
            }
        }
        if (startsWith(bytes, '%', 'P', 'D', 'F')) {
            return "PDF";
        }
        return null;
    }

    private static boolean startsWith(byte[] bytes, int... magic) {
        if (bytes == null || bytes.length < magic.length) {
            return false;
        }
        for (int i = 0; i < magic.length; i++) {
            if ((bytes[i] & 0xFF) != magic[i]) {
                return false;
            }
        }
        return true;
    }

    private record Size(int width, int height) {}

    /** The size in the header, read without decoding any pixels. */
    private static Size declaredSize(ImageReader reader, String format) throws IOException {
        try {
            return new Size(reader.getWidth(0), reader.getHeight(0));
        } catch (IOException | RuntimeException e) {
            throw corrupt(format, e);
        }
    }

    private static BufferedImage decode(ImageReader reader, String format) throws IOException {
        try {
            return reader.read(0);
        } catch (IOException | RuntimeException e) {
            // Readers fail on bad data with all sorts of unchecked exceptions, not only IIOException.
            throw corrupt(format, e);
        }
    }

    /** Our own one line ("corrupt or truncated PNG image"); the reader's own words stay in the cause, for a log. */
    private static IOException corrupt(String format, Exception e) {
        return new IOException("corrupt or truncated " + format.toUpperCase(java.util.Locale.ROOT) + " image", e);
    }

    /**
     * Java2D treats a grey colour space as linear light and brightens it on the way to sRGB (grey 128
     * becomes 188), but grey image files hold display values like any other. So grey images are copied
     * sample by sample into sRGB, keeping their alpha.
     */
    private static BufferedImage displayValues(BufferedImage image) {
        ColorModel model = image.getColorModel();
        if (model instanceof IndexColorModel || model.getColorSpace().getType() != ColorSpace.TYPE_GRAY) {
            return image;
        }
        BufferedImage copy = new BufferedImage(image.getWidth(), image.getHeight(),
                model.isAlphaPremultiplied() ? BufferedImage.TYPE_INT_ARGB_PRE : BufferedImage.TYPE_INT_ARGB);
        Raster raster = image.getRaster();
        for (int y = 0; y < image.getHeight(); y++) {
            for (int x = 0; x < image.getWidth(); x++) {
                int gray = toEightBits(raster.getSample(x, y, 0), model.getComponentSize(0));
                int alpha = model.hasAlpha() ? toEightBits(raster.getSample(x, y, 1), model.getComponentSize(1)) : 255;
                copy.setRGB(x, y, alpha << 24 | gray << 16 | gray << 8 | gray);
            }
        }
        return copy;
    }

    private static int toEightBits(int sample, int bits) {
        return Math.round(sample * 255f / ((1 << bits) - 1));
    }

    /**
     * Bilinear resizing, halving at most per step: a single bilinear step only looks at the 2x2 source
     * pixels around each target pixel, so shrinking a photo to 28x28 in one go would alias badly. A side that
     * must grow grows only in the last step, so no intermediate image is larger than the source: stretching a
     * 1-pixel-high strip to the model's height before halving its width would multiply its size.
     * Drawing onto a fresh (black) RGB image is also what composites alpha over black.
     */
    private static BufferedImage resize(BufferedImage image, int width, int height) {
        BufferedImage current = image;
        do {
            boolean halveWidth = current.getWidth() / 2 >= width;
            boolean halveHeight = current.getHeight() / 2 >= height;
            boolean last = !halveWidth && !halveHeight;
            int stepWidth = halveWidth ? current.getWidth() / 2 : last ? width : Math.min(current.getWidth(), width);
            int stepHeight = halveHeight ? current.getHeight() / 2 : last ? height : Math.min(current.getHeight(), height);
            BufferedImage next = new BufferedImage(stepWidth, stepHeight, BufferedImage.TYPE_INT_RGB);
            Graphics2D g = next.createGraphics();
            g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
            g.setRenderingHint(RenderingHints.KEY_RENDERING, RenderingHints.VALUE_RENDER_QUALITY);
            g.drawImage(current, 0, 0, stepWidth, stepHeight, null);
            g.dispose();
            current = next;
        } while (current.getWidth() != width || current.getHeight() != height);
        return current;
    }
}
