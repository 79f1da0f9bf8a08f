package io.filterscope.server.http;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.WebSocketFrame;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Joins a WebSocket's data frames into messages and checks them as RFC 6455 requires: a message longer than
 * the limit is answered with close code 1009 and a text message that is not valid UTF-8 with 1007 (Vert.x's
 * own aggregation closes with 1000 for the first and decodes the second leniently).
 */
final class MessageAssembler {
    /** What a finished frame gave: nothing yet, a text message, a binary message, or a reason to close. */
    record Result(String text, boolean binary, short closeCode, String closeReason) {
        static final Result NONE = new Result(null, false, (short) 0, null);

        boolean closes() {
            return closeCode != 0;
        }
    }

    static final short TOO_BIG = 1009;
    static final short INVALID_DATA = 1007;

    private final int maxBytes;
    private Buffer message;
    private boolean text;

    MessageAssembler(int maxBytes) {
        this.maxBytes = maxBytes;
    }

    /** The close reason of a message over {@code maxBytes}, whether one frame (Netty refuses it) or its fragments are. */
    static String tooBig(int maxBytes) {
        return "message larger than the limit of " + maxBytes + " bytes";
    }

    /** Takes one frame (control frames are ignored: Vert.x answers pings and handles close itself). */
    Result add(WebSocketFrame frame) {
        if (!(frame.isText() || frame.isBinary() || frame.isContinuation())) {
            return Result.NONE;
        }
        if (!frame.isContinuation()) {
            message = Buffer.buffer();
            text = frame.isText();
        } else if (message == null) {
            return Result.NONE; // a continuation of nothing; Netty's decoder refuses those already
        }
        if (message.length() + frame.binaryData().length() > maxBytes) {
            message = null;
            return new Result(null, false, TOO_BIG, tooBig(maxBytes));
        }
        message.appendBuffer(frame.binaryData());
        if (!frame.isFinal()) {
            return Result.NONE;
        }
        Buffer whole = message;
        message = null;
        if (!text) {
            return new Result(null, true, (short) 0, null);
        }
        try {
            String decoded = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(whole.getBytes())).toString();
            return new Result(decoded, false, (short) 0, null);
        } catch (CharacterCodingException e) {
            return new Result(null, false, INVALID_DATA, "text message is not valid UTF-8");
        }
    }
}
