package org.forward4j.core.model;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;

/** The JSON settings of model files: strict on read, so that a damaged header is an error and not a guess. */
final class Json {

    /**
     * Rejects duplicate keys (a header naming one tensor twice is ambiguous) and anything after the JSON value but
     * whitespace (the padding the format allows).
     */
    static final ObjectMapper MAPPER = JsonMapper.builder()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    private Json() {
    }
}
