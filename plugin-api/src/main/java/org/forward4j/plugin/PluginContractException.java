package org.forward4j.plugin;

/**
 * A plugin returned a result that breaks its contract (an allocation with the wrong sum, a gradient of the
 * wrong length, ...). The message names the plugin; the training state is left as it was before the step.
 */
public class PluginContractException extends Forward4jException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what failed, the value it got, what is available and how to fix it
     */
    public PluginContractException(String message) {
        super(message);
    }

    /**
     * Creates the exception with a cause.
     *
     * @param message what failed, the value it got, what is available and how to fix it
     * @param cause the underlying failure
     */
    public PluginContractException(String message, Throwable cause) {
        super(message, cause);
    }
}
