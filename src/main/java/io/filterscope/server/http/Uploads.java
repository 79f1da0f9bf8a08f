package io.filterscope.server.http;

import io.vertx.core.Vertx;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where uploads are written while a request is read: a directory of this server's own in the system's temp
 * directory (the working directory may not be writable, as in our Docker image, and must not fill up),
 * readable by this user alone. Vert.x's BodyHandler deletes each request's files when it ends; files it
 * misses (the parts of an upload that broke off, which it may go on writing after its clean-up) are swept
 * once they are older than any request may take, and the directory goes when the server stops.
 */
final class Uploads implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Uploads.class);
    private final Vertx vertx;
    private final Path directory;
    private final long sweeper;

    private Uploads(Vertx vertx, Path directory, long maxAgeMs) {
        this.vertx = vertx;
        this.directory = directory;
        this.sweeper = vertx.setPeriodic(Math.max(1000, maxAgeMs / 2), t -> vertx.executeBlocking(() -> sweep(maxAgeMs)));
    }

    /** @param maxAgeMs a file older than this belongs to no request any more */
    static Uploads create(Vertx vertx, long maxAgeMs) throws IOException {
        Path dir;
        try {
            dir = Files.createTempDirectory("filterscope-uploads-", PosixFilePermissions.asFileAttribute(
                    PosixFilePermissions.fromString("rwx------")));
        } catch (UnsupportedOperationException e) {
            dir = Files.createTempDirectory("filterscope-uploads-"); // not a POSIX file system
        }
        return new Uploads(vertx, dir, maxAgeMs);
    }

    String directory() {
        return directory.toString();
    }

    /** Deletes the files older than {@code ageMs}; returns how many. */
    int sweep(long ageMs) {
        long before = System.currentTimeMillis() - ageMs;
        int deleted = 0;
        try (Stream<Path> files = Files.list(directory)) {
            for (Path f : files.toList()) {
                if (Files.getLastModifiedTime(f).toMillis() <= before && Files.deleteIfExists(f)) {
                    deleted++;
                }
            }
        } catch (IOException | UncheckedIOException e) {
            LOG.warn("cannot sweep {}: {}", directory, e.toString());
        }
        return deleted;
    }

    @Override
    public void close() {
        vertx.cancelTimer(sweeper);
        sweep(-1);
        try {
            Files.deleteIfExists(directory);
        } catch (IOException e) {
            LOG.warn("cannot delete {}: {}", directory, e.toString());
        }
    }
}
