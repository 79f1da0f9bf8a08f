package io.filterscope.server.http;

import io.netty.handler.codec.DecoderException;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.UUID;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where uploads are written while a request is read: a directory of this server's own in the system's temp
 * directory (the working directory may not be writable, as in our Docker image, and must not fill up),
 * readable by this user alone, with a directory per request. Vert.x's BodyHandler reads the upload within
 * the size limit and deletes its files when the request ends; the request's directory goes then too,
 * taking any part BodyHandler missed (it may go on writing the parts of a refused upload after its own
 * clean-up). A sweep removes whatever is older than any request may take, and the whole directory goes when
 * the server stops. Its name holds the server's process id, so a server that starts removes the directories of
 * servers that were killed before they could ({@link #removeOrphans}).
 */
final class Uploads implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Uploads.class);
    /** A request's directory goes this long after the request ends. */
    private static final long LATE_WRITES_MS = 1000;
    /**
     * A body whose bytes have all come and whose upload has still not ended this long after is truncated inside a
     * part (no closing boundary): Netty's decoder waits for the rest, and BodyHandler with it, until the idle timeout.
     * Generous: a proper upload's last part may still be on its way to disk on a loaded machine.
     */
    private static final long TRUNCATED_MS = 5000;
    private static final String BODY_READ = "filterscope.bodyRead";
    /** An uploads directory's name: the prefix, its server's process id, a dash and a random number. */
    private static final String PREFIX = "filterscope-uploads-";
    private static final java.util.regex.Pattern OWNED = java.util.regex.Pattern.compile(java.util.regex.Pattern.quote(PREFIX) + "(\\d+)-\\d+");
    private final Vertx vertx;
    private final Path directory;
    private final long sweeper;

    private Uploads(Vertx vertx, Path directory, long maxAgeMs) {
        this.vertx = vertx;
        this.directory = directory;
        this.sweeper = vertx.setPeriodic(Math.max(1000, maxAgeMs / 2), t -> vertx.executeBlocking(() -> delete(directory, maxAgeMs)));
    }

    /** @param maxAgeMs a file older than this belongs to no request any more */
    static Uploads create(Vertx vertx, long maxAgeMs) throws IOException {
        String prefix = PREFIX + ProcessHandle.current().pid() + "-";
        Path dir;
        try {
            dir = Files.createTempDirectory(prefix, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        } catch (UnsupportedOperationException e) {
            dir = Files.createTempDirectory(prefix); // not a POSIX file system
        }
        Uploads uploads = new Uploads(vertx, dir, maxAgeMs);
        uploads.removeOrphans(dir.getParent());
        return uploads;
    }

    /**
     * Removes the upload directories in {@code temp} of servers whose process is gone (killed, so their own clean-up
     * never ran); those of running servers, and directories named otherwise, are left alone.
     *
     * @return how many directories went
     */
    int removeOrphans(Path temp) {
        int removed = 0;
        try (Stream<Path> all = Files.list(temp)) {
            for (Path p : all.toList()) {
                java.util.regex.Matcher m = OWNED.matcher(p.getFileName().toString());
                if (m.matches() && Files.isDirectory(p) && ProcessHandle.of(Long.parseLong(m.group(1))).isEmpty()) {
                    delete(p, -1);
                    removed += Files.exists(p) ? 0 : 1;
                }
            }
        } catch (IOException | UncheckedIOException | NumberFormatException e) {
            LOG.warn("cannot clean old upload directories in {}: {}", temp, e.toString());
        }
        return removed;
    }

    /**
     * Adds to {@code route} the reading of a request's body (at most {@code bodyLimit} bytes) with its uploads into a
     * directory of its own; the route's next handler runs once the body is read.
     */
    Route read(Route route, long bodyLimit) {
        return route.handler(bodyHandler(bodyLimit)).handler(ctx -> {
            ctx.put(BODY_READ, true);
            ctx.next();
        });
    }

    private Handler<RoutingContext> bodyHandler(long bodyLimit) {
        return ctx -> {
            Path own = directory.resolve(UUID.randomUUID().toString());
            // End handlers also run when the request fails (too many parts, say) while its connection, closed
            // at once, may still finish a part: the directory goes a moment later.
            ctx.addEndHandler(v -> vertx.setTimer(LATE_WRITES_MS, t -> vertx.executeBlocking(() -> delete(own, -1))));
            BodyHandler.create(own.toString()).setBodyLimit(bodyLimit).setDeleteUploadedFilesOnEnd(true).handle(ctx);
            ctx.request().exceptionHandler(failure -> failReading(ctx, failure));
            watchForTruncation(ctx);
        };
    }

    /** Fails the request 400 once its body has all come but BodyHandler still waits for a part's end. */
    private void watchForTruncation(RoutingContext ctx) {
        long[] endedAt = {-1};
        long watch = vertx.setPeriodic(TRUNCATED_MS / 4, t -> {
            if (ctx.get(BODY_READ) != null || ctx.failed() || ctx.response().ended()) {
                vertx.cancelTimer(t);
            } else if (ctx.request().isEnded()) {
                long now = System.nanoTime();
                if (endedAt[0] < 0) {
                    endedAt[0] = now;
                } else if (now - endedAt[0] >= TRUNCATED_MS * 1_000_000) {
                    vertx.cancelTimer(t);
                    // Not cancelling the part: its file goes with the request's directory when the request ends.
                    ctx.fail(400, new IllegalArgumentException(
                            "malformed upload: the body ends inside a part (its closing boundary is missing)"));
                }
            }
        });
        ctx.addEndHandler(v -> vertx.cancelTimer(watch));
    }

    /**
     * What BodyHandler does when reading a body fails (too many parts, a broken part): cancels the parts being
     * written, then fails the request, 400 for a decoder's error. Its own handler (replaced by this one) stops at a
     * part whose file has just been closed: Vert.x's cancel throws "File handle is closed" there (a part whose
     * writing ended, before its upload notices), which went to the event loop as an unhandled exception and left
     * the request unanswered (16 times in a 10-minute soak with 300-part uploads). Such a part's file goes with
     * the request's directory. Set once BodyHandler is installed: a part's file is opened asynchronously, so none
     * can be closing before.
     */
    private static void failReading(RoutingContext ctx, Throwable failure) {
        try {
            ctx.cancelAndCleanupFileUploads();
        } catch (IllegalStateException closing) {
            LOG.debug("a part of a failed upload was closing: {}", closing.toString());
        }
        if (failure instanceof DecoderException) {
            ctx.fail(400, failure.getCause() == null ? failure : failure.getCause());
        } else {
            ctx.fail(failure);
        }
    }

    /**
     * Files (and then emptied directories) under {@code root} older than {@code ageMs}, all of them when it is negative
     * (the uploads directory itself excepted); returns how many went.
     */
    int delete(Path root, long ageMs) {
        if (!Files.exists(root)) {
            return 0;
        }
        long before = System.currentTimeMillis() - ageMs;
        int deleted = 0;
        try (Stream<Path> all = Files.walk(root)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                // Emptying a directory touches it: with an age, an emptied directory waits for the next sweep.
                if (p.equals(directory) || (ageMs >= 0 && Files.getLastModifiedTime(p).toMillis() > before)) {
                    continue;
                }
                try {
                    if (Files.deleteIfExists(p)) {
                        deleted++;
                    }
                } catch (java.nio.file.DirectoryNotEmptyException e) {
                    // a file in it is still young
                }
            }
        } catch (IOException | UncheckedIOException e) {
            LOG.warn("cannot clean {}: {}", root, e.toString());
        }
        return deleted;
    }

    /** Files and directories under the uploads directory now. */
    long count() {
        try (Stream<Path> all = Files.walk(directory)) {
            return all.count() - 1;
        } catch (IOException | UncheckedIOException e) {
            return 0;
        }
    }

    Path directory() {
        return directory;
    }

    @Override
    public void close() {
        vertx.cancelTimer(sweeper);
        delete(directory, -1);
        try {
            Files.deleteIfExists(directory);
        } catch (IOException e) {
            LOG.warn("cannot delete {}: {}", directory, e.toString());
        }
    }
}
