package io.filterscope.model.fetch;

import io.filterscope.Progress;
import io.filterscope.model.fetch.DownloadException.Kind;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.HttpURLConnection;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Downloads one file over HTTP(S) into place, or fails with a one-line {@link DownloadException}.
 * <ul>
 * <li>The bytes go to {@code TARGET.part}; a later call resumes it with an HTTP Range request (a server that
 * ignores Range and answers 200 gets the download started again).</li>
 * <li>The finished file is checked against the published hash before it is renamed to {@code TARGET}, so
 * {@code TARGET} only ever exists verified; a mismatch deletes the download.</li>
 * <li>A target already in place with the right hash is left alone.</li>
 * <li>Connecting and every read are bounded by timeouts, so a stalled server ends the download instead of
 * hanging it.</li>
 * </ul>
 */
public final class Downloader {
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);
    private static final int MAX_REDIRECTS = 5;
    private static final Pattern CONTENT_RANGE = Pattern.compile("bytes\\s+(\\d+)-(\\d+)/(\\d+|\\*)");

    private final Duration connectTimeout;
    private final Duration readTimeout;
    private final Consumer<String> log;

    /**
     * @param connectTimeout how long to wait for a connection
     * @param readTimeout how long to wait for the server's answer and then for each further piece of the body
     * @param log where notes for the user go (resuming, starting again)
     */
    public Downloader(Duration connectTimeout, Duration readTimeout, Consumer<String> log) {
        this.connectTimeout = connectTimeout;
        this.readTimeout = readTimeout;
        this.log = log;
    }

    public enum Outcome { ALREADY_PRESENT, DOWNLOADED, RESUMED }

    public record Result(Path file, Outcome outcome, long bytes) {
    }

    /** {@code TARGET.part}: where the bytes of {@code target} collect until they are verified. */
    public static Path partOf(Path target) {
        return target.resolveSibling(target.getFileName() + ".part");
    }

    public Result fetch(URI url, Path target, Checksum checksum, Progress progress) throws IOException {
        Files.createDirectories(target.toAbsolutePath().getParent());
        if (Files.isRegularFile(target)) {
            String actual = checksum.of(target);
            if (checksum.matches(actual)) {
                return new Result(target, Outcome.ALREADY_PRESENT, Files.size(target));
            }
            log.accept(target + " has " + checksum.algorithm() + " " + actual + ", not the published "
                    + checksum.expected() + "; deleting it and downloading it again");
            Files.delete(target);
        }
        Path part = partOf(target);
        try (FileChannel out = FileChannel.open(part, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
             FileLock lock = tryLock(out)) {
            if (lock == null) {
                throw new DownloadException(Kind.BUSY, "another download of " + target + " is running (" + part
                        + " is locked)", null);
            }
            boolean resumed;
            try {
                resumed = download(url, part, out, checksum, progress);
            } catch (IOException e) {
                if (out.size() == 0) {
                    Files.deleteIfExists(part); // nothing to resume from
                }
                throw e;
            }
            String actual = checksum.of(part);
            if (!checksum.matches(actual)) {
                Files.delete(part);
                throw new DownloadException(Kind.CHECKSUM, "checksum mismatch for " + url + ": expected "
                        + checksum.algorithm() + " " + checksum.expected() + ", got " + actual
                        + "; the download was deleted", null);
            }
            moveIntoPlace(part, target);
            return new Result(target, resumed ? Outcome.RESUMED : Outcome.DOWNLOADED, Files.size(target));
        }
    }

    private static FileLock tryLock(FileChannel channel) throws IOException {
        try {
            return channel.tryLock();
        } catch (OverlappingFileLockException e) {
            return null;
        }
    }

    /** Brings {@code part} up to the whole file; true when it continued an earlier download. */
    private boolean download(URI url, Path part, FileChannel out, Checksum checksum, Progress progress)
            throws IOException {
        long have = out.size();
        boolean resumed = false;
        URI current = url;
        int redirects = 0;
        while (true) {
            HttpURLConnection c = open(current, have);
            int status = status(c, url);
            if (status == 301 || status == 302 || status == 303 || status == 307 || status == 308) {
                String location = c.getHeaderField("Location");
                c.disconnect();
                if (location == null || ++redirects > MAX_REDIRECTS) {
                    throw new DownloadException(Kind.HTTP_STATUS, "HTTP " + status + " from " + current
                            + (location == null ? " without a Location" : " after " + MAX_REDIRECTS + " redirects"), null);
                }
                current = current.resolve(location);
                continue;
            }
            if (status == 416 && have > 0) {
                // Nothing past what we have: the earlier run may have got every byte and stopped before the check.
                c.disconnect();
                if (checksum.matches(checksum.of(part))) {
                    return true;
                }
                log.accept(part + " is not the start of " + url + "; starting again");
                have = restart(out);
                continue;
            }
            long total;
            if (status == 206) {
                String contentRange = c.getHeaderField("Content-Range");
                Matcher range = CONTENT_RANGE.matcher(String.valueOf(contentRange));
                if (!range.matches() || Long.parseLong(range.group(1)) != have) {
                    c.disconnect();
                    log.accept("the server sent another part than asked for (Content-Range: " + contentRange
                            + "); starting again");
                    have = restart(out);
                    continue;
                }
                total = range.group(3).equals("*") ? -1 : Long.parseLong(range.group(3));
                if (have > 0) {
                    log.accept("resuming " + part.getFileName() + " at " + readable(have)
                            + (total > 0 ? " of " + readable(total) : ""));
                    resumed = true;
                }
            } else if (status == 200) {
                if (have > 0) {
                    log.accept("the server does not resume downloads (it answered a range request with the whole file);"
                            + " starting again");
                    have = restart(out);
                }
                total = c.getContentLengthLong();
            } else {
                String reason = c.getResponseMessage();
                c.disconnect();
                throw new DownloadException(Kind.HTTP_STATUS, "HTTP " + status + (reason == null ? "" : " " + reason)
                        + " for " + current + (current.equals(url) ? "" : " (redirected from " + url + ")"), null);
            }
            copy(c, out, have, total, url, part.getFileName().toString().replaceFirst("\\.part$", ""), progress);
            return resumed;
        }
    }

    private static long restart(FileChannel out) throws IOException {
        out.truncate(0);
        return 0;
    }

    private HttpURLConnection open(URI url, long from) throws IOException {
        HttpURLConnection c;
        try {
            c = (HttpURLConnection) url.toURL().openConnection();
        } catch (IllegalArgumentException | ClassCastException e) {
            throw new DownloadException(Kind.HTTP_STATUS, "not an http(s) URL: " + url, e);
        }
        c.setConnectTimeout(millis(connectTimeout));
        c.setReadTimeout(millis(readTimeout));
        c.setInstanceFollowRedirects(false);
        c.setUseCaches(false);
        c.setRequestProperty("User-Agent", "FilterScope");
        c.setRequestProperty("Accept-Encoding", "identity");
        if (from > 0) {
            c.setRequestProperty("Range", "bytes=" + from + "-");
        }
        return c;
    }

    /** Connects and reads the status line, turning every network failure into a one-line message. */
    private int status(HttpURLConnection c, URI url) throws DownloadException {
        String host = c.getURL().getHost() + (c.getURL().getPort() < 0 ? "" : ":" + c.getURL().getPort());
        try {
            c.connect();
        } catch (UnknownHostException e) {
            throw new DownloadException(Kind.UNREACHABLE, "cannot resolve " + c.getURL().getHost()
                    + " (no network?) to download " + url, e);
        } catch (ConnectException | NoRouteToHostException e) {
            throw new DownloadException(Kind.UNREACHABLE, "cannot connect to " + host + " (" + e.getMessage()
                    + ") to download " + url, e);
        } catch (SocketTimeoutException e) {
            throw new DownloadException(Kind.UNREACHABLE, "no connection to " + host + " within "
                    + seconds(connectTimeout) + " to download " + url, e);
        } catch (IOException e) {
            throw new DownloadException(Kind.UNREACHABLE, "cannot connect to " + host + " (" + oneLine(e)
                    + ") to download " + url, e);
        }
        try {
            return c.getResponseCode();
        } catch (SocketTimeoutException e) {
            throw new DownloadException(Kind.TIMEOUT, host + " did not answer within " + seconds(readTimeout)
                    + " when asked for " + url, e);
        } catch (IOException e) {
            throw new DownloadException(Kind.INTERRUPTED, "no answer from " + host + " for " + url + " ("
                    + oneLine(e) + ")", e);
        }
    }

    private void copy(HttpURLConnection c, FileChannel out, long have, long total, URI url, String what,
                      Progress progress) throws IOException {
        out.position(have);
        byte[] buffer = new byte[1 << 16];
        try (InputStream in = c.getInputStream()) {
            for (int n; (n = in.read(buffer)) >= 0; ) {
                write(out, buffer, n);
                have += n;
                // An unknown total stays one ahead so that the bar only finishes at the end.
                progress.update(have, total >= 0 ? Math.max(total, have) : have + 1, what);
            }
        } catch (SocketTimeoutException e) {
            throw new DownloadException(Kind.TIMEOUT, "no data from " + url.getHost() + " for " + seconds(readTimeout)
                    + " while downloading " + url + " (stopped at " + readable(have) + of(total)
                    + "); run the command again to resume", e);
        } catch (LocalWriteFailure e) {
            throw e.cause;
        } catch (IOException e) {
            throw interrupted(url, have, total, oneLine(e), e);
        } finally {
            c.disconnect();
        }
        if (total >= 0 && have < total) {
            throw interrupted(url, have, total, "the connection closed early", null);
        }
        progress.update(have, have, what);
    }

    private static DownloadException interrupted(URI url, long have, long total, String why, Throwable cause) {
        return new DownloadException(Kind.INTERRUPTED, "the download of " + url + " broke off at " + readable(have)
                + of(total) + " (" + why + "); run the command again to resume", cause);
    }

    /** A failure to write the local file, kept apart from network failures. */
    private static final class LocalWriteFailure extends IOException {
        final IOException cause;

        LocalWriteFailure(IOException cause) {
            this.cause = cause;
        }
    }

    private static void write(FileChannel out, byte[] buffer, int n) throws LocalWriteFailure {
        ByteBuffer bytes = ByteBuffer.wrap(buffer, 0, n);
        try {
            while (bytes.hasRemaining()) {
                out.write(bytes);
            }
        } catch (IOException e) {
            throw new LocalWriteFailure(e);
        }
    }

    private static void moveIntoPlace(Path part, Path target) throws IOException {
        try {
            Files.move(part, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(part, target, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private static String of(long total) {
        return total >= 0 ? " of " + readable(total) : "";
    }

    /** A size for people: bytes, kB or MB (decimal, as the publishers give sizes). */
    static String readable(long bytes) {
        return bytes < 10_000 ? bytes + " bytes" : bytes < 1_000_000 ? String.format("%.1f kB", bytes / 1e3)
                : String.format("%.1f MB", bytes / 1e6);
    }

    private static String seconds(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : String.format("%.1f s", d.toMillis() / 1000.0);
    }

    private static int millis(Duration d) {
        return (int) Math.min(Integer.MAX_VALUE, Math.max(1, d.toMillis()));
    }

    private static String oneLine(Throwable e) {
        String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        int nl = m.indexOf('\n');
        return nl < 0 ? m : m.substring(0, nl);
    }
}
