package io.filterscope.server.protocol;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.MessageCodec;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * Carries one protocol record over the event bus: as itself within a JVM (records do not change), as
 * Jackson JSON between the nodes of a cluster. Every node registers the same codecs (Protocol.registerCodecs).
 */
final class RecordCodec<T> implements MessageCodec<T, T> {
    private final Class<T> type;
    private final ObjectMapper json;

    RecordCodec(Class<T> type, ObjectMapper json) {
        this.type = type;
        this.json = json;
    }

    @Override
    public void encodeToWire(Buffer buffer, T value) {
        byte[] bytes;
        try {
            bytes = json.writeValueAsBytes(value);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        buffer.appendInt(bytes.length).appendBytes(bytes);
    }

    @Override
    public T decodeFromWire(int pos, Buffer buffer) {
        int length = buffer.getInt(pos);
        try {
            return json.readValue(buffer.getBytes(pos + 4, pos + 4 + length), type);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public T transform(T value) {
        return value;
    }

    @Override
    public String name() {
        return "filterscope:" + type.getName();
    }

    @Override
    public byte systemCodecID() {
        return -1;
    }
}
