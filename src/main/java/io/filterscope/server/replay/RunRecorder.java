package io.filterscope.server.replay;

import io.filterscope.image.GifFiles;
import io.filterscope.server.Addresses;
import io.filterscope.server.ApiError;
import io.filterscope.server.protocol.EventBusService;
import io.filterscope.server.protocol.FrameHeader;
import io.filterscope.server.protocol.Protocol;
import io.filterscope.server.protocol.ReplayApi;
import io.filterscope.server.protocol.ServerEvent;
import io.vertx.core.AbstractVerticle;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.MessageConsumer;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;

/**
 * The replay role of a front node: keeps the frames (image 0 of each step, as the encoded PNG or JPEG the
 * clients got) of every run started through this node, so that a run can be exported as an animation while it
 * goes and for {@link #KEEP_MS} after it ends. Memory is bounded three times: a run keeps at most {@link #MAX_FRAMES}
 * frames (past that, every other one is dropped and from then on only every second step is kept: step 1 and
 * the last step always stay), the node keeps at most {@link #MAX_RUNS} recordings, and all of them together at
 * most {@link #MAX_BYTES} (the oldest go first).
 * Encoding runs on a worker thread, never on the event loop.
 */
public final class RunRecorder extends AbstractVerticle implements ReplayApi {
    public static final int MAX_FRAMES = 512;
    public static final long MAX_BYTES = 64L << 20;
    /** Recordings kept, finished or not: a class's worth of runs, and no growth with the number of runs served. */
    public static final int MAX_RUNS = 64;
    public static final long KEEP_MS = 15 * 60_000;
    /** Frames per second an animation may ask for, and its default. */
    public static final int MAX_FPS = 50;
    public static final int DEFAULT_FPS = 15;
    /** Animations are scaled up (whole factor, nearest neighbour) to at least this height, pixels kept crisp. */
    static final int MIN_SIDE = 256;

    /** One kept frame: its step and its encoded image. */
    private record Frame(int step, byte[] image) {
    }

    private static final class Recording {
        final List<Frame> frames = new ArrayList<>();
        int stride = 1;
        long bytes;
        long endedAt = -1;
        MessageConsumer<Object> consumer;

        /** Stops listening (a no-op once the run's done came). */
        void stop() {
            if (consumer != null) {
                consumer.unregister();
            }
        }

        void add(Frame f, boolean last) {
            if (!last && f.step != 1 && f.step % stride != 0) {
                return;
            }
            if (!frames.isEmpty() && frames.get(frames.size() - 1).step == f.step) {
                // A stopped run's last step again, as PNG after a JPEG: the same step, better kept once.
                bytes -= frames.remove(frames.size() - 1).image.length;
            }
            frames.add(f);
            bytes += f.image.length;
            if (frames.size() > MAX_FRAMES) {
                thin();
            }
        }

        /** Keeps the first frame, every other one after it, and the newest; doubles the stride. */
        private void thin() {
            List<Frame> kept = new ArrayList<>();
            for (int i = 0; i < frames.size(); i++) {
                if (i % 2 == 0 || i == frames.size() - 1) {
                    kept.add(frames.get(i));
                }
            }
            frames.clear();
            frames.addAll(kept);
            bytes = kept.stream().mapToLong(k -> k.image.length).sum();
            stride *= 2;
        }
    }

    /** Oldest first (insertion order): evicted from the front. */
    private final Map<String, Recording> recordings = new LinkedHashMap<>();

    @Override
    public void start(Promise<Void> started) {
        vertx.eventBus().<String>localConsumer(Addresses.RECORD, m -> {
            record(m.body()).onComplete(v -> m.reply(null));
        });
        vertx.setPeriodic(60_000, t -> forgetExpired(System.currentTimeMillis()));
        EventBusService.serve(vertx, ReplayApi.class, Addresses.REPLAY, this, true).onComplete(started);
    }

    /** Starts keeping a run's frames; completes once the recorder listens, so no frame is missed. */
    private Future<Void> record(String run) {
        if (run == null || recordings.containsKey(run)) {
            return Future.succeededFuture();
        }
        Recording r = new Recording();
        recordings.put(run, r);
        while (recordings.size() > MAX_RUNS) {
            forget(recordings.keySet().iterator().next());
        }
        r.consumer = vertx.eventBus().consumer(Addresses.run(run), m -> {
            if (m.body() instanceof Buffer frame) {
                onFrame(r, frame);
            } else if (m.body() instanceof ServerEvent.Done) {
                r.endedAt = System.currentTimeMillis();
                r.consumer.unregister();
                if (r.frames.isEmpty()) {
                    recordings.remove(run);
                }
            }
        });
        return r.consumer.completion();
    }

    private void onFrame(Recording r, Buffer frame) {
        int length = frame.getInt(0);
        FrameHeader header;
        try {
            header = Protocol.JSON.readValue(frame.getBytes(4, 4 + length), FrameHeader.class);
        } catch (IOException e) {
            return; // not a frame of ours
        }
        if (header.index() != 0) {
            return; // a batched run (a gallery): the animation follows its first image
        }
        r.add(new Frame(header.step(), frame.getBytes(4 + length, frame.length())), header.last());
        evictOverBudget();
    }

    private void evictOverBudget() {
        long total = recordings.values().stream().mapToLong(r -> r.bytes).sum();
        Iterator<Map.Entry<String, Recording>> oldest = recordings.entrySet().iterator();
        while (total > MAX_BYTES && oldest.hasNext()) {
            Recording r = oldest.next().getValue();
            total -= r.bytes;
            r.stop();
            oldest.remove();
        }
    }

    private void forget(String run) {
        Recording r = recordings.remove(run);
        if (r != null) {
            r.stop();
        }
    }

    private void forgetExpired(long now) {
        recordings.entrySet().removeIf(e -> e.getValue().endedAt >= 0 && now - e.getValue().endedAt > KEEP_MS);
    }

    @Override
    public Future<byte[]> animation(AnimationRequest request) {
        if (!"gif".equals(request.format())) {
            return Future.failedFuture(ApiError.badRequest("unknown animation format '" + request.format()
                    + "'; this server writes gif").exception());
        }
        if (request.fps() < 1 || request.fps() > MAX_FPS) {
            return Future.failedFuture(ApiError.badRequest("fps must be from 1 to " + MAX_FPS).exception());
        }
        Recording r = recordings.get(request.run());
        if (r == null || r.frames.isEmpty()) {
            return Future.failedFuture(ApiError.notFound("no recorded frames of run " + request.run() + " (runs are kept "
                    + KEEP_MS / 60_000 + " minutes after they end, within " + (MAX_BYTES >> 20) + " MB for all)").exception());
        }
        List<Frame> frames = List.copyOf(r.frames);
        int delayMs = Math.round(1000f / request.fps());
        return vertx.executeBlocking(() -> GifFiles.animate(decode(frames), delayMs, MIN_SIDE), false);
    }

    private static List<BufferedImage> decode(List<Frame> frames) throws IOException {
        List<BufferedImage> images = new ArrayList<>();
        for (Frame f : frames) {
            BufferedImage image = ImageIO.read(new ByteArrayInputStream(f.image));
            if (image == null) {
                throw new IOException("a recorded frame of step " + f.step + " is no image");
            }
            images.add(image);
        }
        return images;
    }
}
