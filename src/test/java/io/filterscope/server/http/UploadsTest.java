package io.filterscope.server.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Vertx;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A server killed before its clean-up (SIGKILL, the OOM killer) leaves its uploads directory behind; the next server
 * to start removes it, and only it: not a running server's, not a directory named otherwise.
 */
class UploadsTest {
    @Test
    void aStartingServerRemovesTheUploadDirectoriesOfServersThatAreGone(@TempDir Path temp) throws Exception {
        Process gone = new ProcessBuilder("true").start();
        gone.waitFor();
        Path orphan = Files.createDirectories(temp.resolve("filterscope-uploads-" + gone.pid() + "-123").resolve("a-request"));
        Files.write(orphan.resolve("part"), new byte[] {1, 2, 3});
        Path running = Files.createDirectory(temp.resolve("filterscope-uploads-" + ProcessHandle.current().pid() + "-456"));
        Path other = Files.createDirectory(temp.resolve("filterscope-uploads-notes"));
        Vertx vertx = Vertx.vertx();
        try (Uploads uploads = Uploads.create(vertx, 60_000)) {
            assertTrue(uploads.directory().getFileName().toString().startsWith("filterscope-uploads-" + ProcessHandle.current().pid() + "-"),
                    uploads.directory().toString());
            assertEquals(1, uploads.removeOrphans(temp));
            assertFalse(Files.exists(orphan.getParent()), "the dead server's directory went, with its files");
            assertTrue(Files.isDirectory(running), "a running server's stays");
            assertTrue(Files.isDirectory(other), "a directory of another pattern stays");
        } finally {
            vertx.close().toCompletionStage().toCompletableFuture().join();
        }
    }
}
