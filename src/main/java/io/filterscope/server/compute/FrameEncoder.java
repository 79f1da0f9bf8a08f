package io.filterscope.server.compute;

import io.filterscope.image.PngFiles;
import io.filterscope.image.Tiles;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.MemoryCacheImageOutputStream;

/**
 * Encodes one image of one step as the protocol's binary frame: a 4-byte big-endian header length, the
 * UTF-8 JSON header, then the image. Intermediate frames of large images are JPEG (several times faster
 * to encode than PNG); small images and every last frame are PNG.
 */
final class FrameEncoder {
    /** Images at least this wide go as JPEG while the run goes on. */
    private static final int JPEG_FROM = 64;

    private FrameEncoder() {
    }

    /** Whether a frame of this width goes as JPEG: intermediate frames of large images only. */
    static boolean lossy(int width, boolean last) {
        return !last && width >= JPEG_FROM;
    }

    static Buffer encode(JsonObject header, float[] planes, int channels, int width, int height, boolean last) {
        BufferedImage image = Tiles.fromPlanes(planes, channels, width, height);
        boolean jpeg = lossy(width, last);
        byte[] bytes = jpeg ? jpeg(image) : PngFiles.encodeFrame(image);
        byte[] json = header.copy().put("width", width).put("height", height)
                .put("mime", jpeg ? "image/jpeg" : "image/png").encode().getBytes(java.nio.charset.StandardCharsets.UTF_8);
        return Buffer.buffer(4 + json.length + bytes.length).appendInt(json.length).appendBytes(json).appendBytes(bytes);
    }

    private static byte[] jpeg(BufferedImage image) {
        ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (MemoryCacheImageOutputStream stream = new MemoryCacheImageOutputStream(out)) {
            writer.setOutput(stream);
            ImageWriteParam param = writer.getDefaultWriteParam();
            param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
            param.setCompressionQuality(0.9f);
            // Tiles makes TYPE_BYTE_GRAY or TYPE_INT_RGB images, both of which JPEG can hold.
            writer.write(null, new IIOImage(image, null, null), param);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            writer.dispose();
        }
        return out.toByteArray();
    }
}
