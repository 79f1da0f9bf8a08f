package io.filterscope.server.compute;

import io.filterscope.image.JpegFiles;
import io.filterscope.image.PngFiles;
import io.filterscope.image.Tiles;
import io.vertx.core.buffer.Buffer;
import io.filterscope.server.protocol.FrameHeader;
import io.filterscope.server.protocol.Protocol;

/**
 * Encodes one image of one step as the protocol's binary frame: a 4-byte big-endian header length, the
 * UTF-8 JSON header, then the image. Intermediate frames of large images are JPEG (several times faster
 * to encode than PNG); small images and every last frame are PNG, intermediate ones of at most {@link #STORED_MAX}
 * values uncompressed: zlib's set-up cost more than such a frame's pixels (thirty 28 px runs' frames took a tenth of
 * the processor time), and a 28 px grey ascent image deflates by a tenth at most, where colour ones halve.
 */
final class FrameEncoder {
    /** Images at least this wide go as JPEG while the run goes on. */
    private static final int JPEG_FROM = 64;
    /** Intermediate PNG frames of at most this many values (a 45 px grey image, 26 px colour) go uncompressed. */
    static final int STORED_MAX = 2048;

    private FrameEncoder() {
    }

    /** Whether a frame of this width goes as JPEG: intermediate frames of large images only. */
    static boolean lossy(int width, boolean last) {
        return !last && width >= JPEG_FROM;
    }

    /** The frame of image {@code index} of a run's step: planes [c, h, w] in [0, 1]. */
    static Buffer encode(String run, int step, int index, int filter, Double loss, boolean last, float[] planes, int channels,
                         int width, int height) {
        boolean jpeg = lossy(width, last);
        byte[] bytes = jpeg ? JpegFiles.encode(Tiles.fromPlanes(planes, channels, width, height), 0.9f)
                : PngFiles.encodeFrame(planes, channels, width, height, last || planes.length > STORED_MAX);
        byte[] json = Protocol.encode(new FrameHeader(run, step, index, filter, loss, last, width, height,
                jpeg ? "image/jpeg" : "image/png")).getBytes(java.nio.charset.StandardCharsets.UTF_8);
        return Buffer.buffer(4 + json.length + bytes.length).appendInt(json.length).appendBytes(json).appendBytes(bytes);
    }
}
