package io.filterscope.engine.net;

/** The model has a layer, activation or connection the native-op chain cannot compute (yet). */
public class UnsupportedLayerException extends RuntimeException {
    public UnsupportedLayerException(String message) {
        super(message);
    }
}
