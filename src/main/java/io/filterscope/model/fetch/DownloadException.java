package io.filterscope.model.fetch;

import java.io.IOException;

/** A download that did not end with a verified file; the message is one line and names the URL. */
public class DownloadException extends IOException {
    /** What went wrong: the caller words its advice by it. */
    public enum Kind {
        /** The host could not be resolved or reached: no network, a firewall, a wrong base URL. */
        UNREACHABLE,
        /** The server stopped answering for longer than the timeout. */
        TIMEOUT,
        /** The connection broke before the whole file arrived; what came is kept for a resume. */
        INTERRUPTED,
        /** The server answered with an error status (404 and the like). */
        HTTP_STATUS,
        /** The file arrived whole but its hash is not the published one; it was deleted. */
        CHECKSUM,
        /** Another process is downloading the same file. */
        BUSY
    }

    public final Kind kind;

    public DownloadException(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
    }

    /** Whether fetching the file by hand and placing it is the advice to give. */
    public boolean offline() {
        return kind == Kind.UNREACHABLE || kind == Kind.TIMEOUT;
    }

    /** The same failure with more words at the end of its message. */
    public DownloadException append(String more) {
        return new DownloadException(kind, getMessage() + more, getCause());
    }
}
