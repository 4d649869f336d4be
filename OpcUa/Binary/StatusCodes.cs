namespace MqttIoT.OpcUa.Binary;

/// <summary>
/// The status codes this client names (OPC 10000-4 §7.39 and the StatusCode table of OPC 10000-6, Annex A): the
/// ones a client meets. A code missing here still works; it prints as hex.
/// </summary>
public static class StatusCodes
{
    /// <summary>The operation succeeded.</summary>
    public const uint Good = 0x00000000;
    /// <summary>The operation was uncertain.</summary>
    public const uint Uncertain = 0x40000000;
    /// <summary>The operation failed.</summary>
    public const uint Bad = 0x80000000;
    /// <summary>An unexpected error occurred.</summary>
    public const uint BadUnexpectedError = 0x80010000;
    /// <summary>An internal error occurred as a result of a programming or configuration error.</summary>
    public const uint BadInternalError = 0x80020000;
    /// <summary>Not enough memory to complete the operation.</summary>
    public const uint BadOutOfMemory = 0x80030000;
    /// <summary>An operating system resource is not available.</summary>
    public const uint BadResourceUnavailable = 0x80040000;
    /// <summary>A low level communication error occurred.</summary>
    public const uint BadCommunicationError = 0x80050000;
    /// <summary>Encoding halted because of invalid data in the objects being serialized.</summary>
    public const uint BadEncodingError = 0x80060000;
    /// <summary>Decoding halted because of invalid data in the stream.</summary>
    public const uint BadDecodingError = 0x80070000;
    /// <summary>The message encoding/decoding limits imposed by the stack have been exceeded.</summary>
    public const uint BadEncodingLimitsExceeded = 0x80080000;
    /// <summary>The request message size exceeds limits set by the server.</summary>
    public const uint BadRequestTooLarge = 0x80B80000;
    /// <summary>The response message size exceeds limits set by the client or server.</summary>
    public const uint BadResponseTooLarge = 0x80B90000;
    /// <summary>An unrecognized response was received from the server.</summary>
    public const uint BadUnknownResponse = 0x80090000;
    /// <summary>The operation timed out.</summary>
    public const uint BadTimeout = 0x800A0000;
    /// <summary>The server does not support the requested service.</summary>
    public const uint BadServiceUnsupported = 0x800B0000;
    /// <summary>The operation was cancelled because the application is shutting down.</summary>
    public const uint BadShutdown = 0x800C0000;
    /// <summary>The operation could not complete because the client is not connected to the server.</summary>
    public const uint BadServerNotConnected = 0x800D0000;
    /// <summary>The server has stopped and cannot process any requests.</summary>
    public const uint BadServerHalted = 0x800E0000;
    /// <summary>No processing could be done because there was nothing to do.</summary>
    public const uint BadNothingToDo = 0x800F0000;
    /// <summary>The request could not be processed because it specified too many operations.</summary>
    public const uint BadTooManyOperations = 0x80100000;
    /// <summary>The request could not be processed because there are too many monitored items in the subscription.</summary>
    public const uint BadTooManyMonitoredItems = 0x80DB0000;
    /// <summary>The extension object cannot be (de)serialized because the data type id is not recognized.</summary>
    public const uint BadDataTypeIdUnknown = 0x80110000;
    /// <summary>The certificate provided as a parameter is not valid.</summary>
    public const uint BadCertificateInvalid = 0x80120000;
    /// <summary>An error occurred verifying security.</summary>
    public const uint BadSecurityChecksFailed = 0x80130000;
    /// <summary>The certificate has expired or is not yet valid.</summary>
    public const uint BadCertificateTimeInvalid = 0x80140000;
    /// <summary>The URI specified in the ApplicationDescription does not match the URI in the certificate.</summary>
    public const uint BadCertificateUriInvalid = 0x80170000;
    /// <summary>The certificate may not be used for the requested operation.</summary>
    public const uint BadCertificateUseNotAllowed = 0x80180000;
    /// <summary>The certificate is not trusted.</summary>
    public const uint BadCertificateUntrusted = 0x801A0000;
    /// <summary>The certificate does not meet the requirements of the security policy.</summary>
    public const uint BadCertificatePolicyCheckFailed = 0x81140000;
    /// <summary>User does not have permission to perform the requested operation.</summary>
    public const uint BadUserAccessDenied = 0x801F0000;
    /// <summary>The user identity token is not valid.</summary>
    public const uint BadIdentityTokenInvalid = 0x80200000;
    /// <summary>The user identity token is valid but the server has rejected it.</summary>
    public const uint BadIdentityTokenRejected = 0x80210000;
    /// <summary>The specified secure channel is no longer valid.</summary>
    public const uint BadSecureChannelIdInvalid = 0x80220000;
    /// <summary>The timestamp is outside the range allowed by the server.</summary>
    public const uint BadInvalidTimestamp = 0x80230000;
    /// <summary>The nonce does appear to be not a random value or it is not the correct length.</summary>
    public const uint BadNonceInvalid = 0x80240000;
    /// <summary>The session id is not valid.</summary>
    public const uint BadSessionIdInvalid = 0x80250000;
    /// <summary>The session was closed by the client.</summary>
    public const uint BadSessionClosed = 0x80260000;
    /// <summary>The session cannot be used because ActivateSession has not been called.</summary>
    public const uint BadSessionNotActivated = 0x80270000;
    /// <summary>The subscription id is not valid.</summary>
    public const uint BadSubscriptionIdInvalid = 0x80280000;
    /// <summary>The header for the request is missing or invalid.</summary>
    public const uint BadRequestHeaderInvalid = 0x802A0000;
    /// <summary>The timestamps to return parameter is invalid.</summary>
    public const uint BadTimestampsToReturnInvalid = 0x802B0000;
    /// <summary>The request was cancelled by the client.</summary>
    public const uint BadRequestCancelledByClient = 0x802C0000;
    /// <summary>Too many arguments were provided.</summary>
    public const uint BadTooManyArguments = 0x80E50000;
    /// <summary>The Server does not have the resources to process the request at this time.</summary>
    public const uint BadServerTooBusy = 0x80EE0000;
    /// <summary>The subscription was transferred to another session.</summary>
    public const uint GoodSubscriptionTransferred = 0x002D0000;
    /// <summary>The processing will complete asynchronously.</summary>
    public const uint GoodCompletesAsynchronously = 0x002E0000;
    /// <summary>Sampling has slowed down due to resource limitations.</summary>
    public const uint GoodOverload = 0x002F0000;
    /// <summary>The value written was accepted but was clamped.</summary>
    public const uint GoodClamped = 0x00300000;
    /// <summary>Communication with the data source is defined, but not established, and there is no last known value available.</summary>
    public const uint BadNoCommunication = 0x80310000;
    /// <summary>Waiting for the server to obtain values from the underlying data source.</summary>
    public const uint BadWaitingForInitialData = 0x80320000;
    /// <summary>The syntax the node id is not valid or refers to a node that is not valid for the operation.</summary>
    public const uint BadNodeIdInvalid = 0x80330000;
    /// <summary>The node id refers to a node that does not exist in the server address space.</summary>
    public const uint BadNodeIdUnknown = 0x80340000;
    /// <summary>The attribute is not supported for the specified Node.</summary>
    public const uint BadAttributeIdInvalid = 0x80350000;
    /// <summary>The syntax of the index range parameter is invalid.</summary>
    public const uint BadIndexRangeInvalid = 0x80360000;
    /// <summary>No data exists within the range of indexes specified.</summary>
    public const uint BadIndexRangeNoData = 0x80370000;
    /// <summary>The data encoding is invalid.</summary>
    public const uint BadDataEncodingInvalid = 0x80380000;
    /// <summary>The server does not support the requested data encoding for the node.</summary>
    public const uint BadDataEncodingUnsupported = 0x80390000;
    /// <summary>The access level does not allow reading or subscribing to the Node.</summary>
    public const uint BadNotReadable = 0x803A0000;
    /// <summary>The access level does not allow writing to the Node.</summary>
    public const uint BadNotWritable = 0x803B0000;
    /// <summary>The value was out of range.</summary>
    public const uint BadOutOfRange = 0x803C0000;
    /// <summary>The requested operation is not supported.</summary>
    public const uint BadNotSupported = 0x803D0000;
    /// <summary>A requested item was not found or a search operation ended without success.</summary>
    public const uint BadNotFound = 0x803E0000;
    /// <summary>The object cannot be used because it has been deleted.</summary>
    public const uint BadObjectDeleted = 0x803F0000;
    /// <summary>Requested operation is not implemented.</summary>
    public const uint BadNotImplemented = 0x80400000;
    /// <summary>The monitoring mode is invalid.</summary>
    public const uint BadMonitoringModeInvalid = 0x80410000;
    /// <summary>The monitoring item id does not refer to a valid monitored item.</summary>
    public const uint BadMonitoredItemIdInvalid = 0x80420000;
    /// <summary>The monitored item filter parameter is not valid.</summary>
    public const uint BadMonitoredItemFilterInvalid = 0x80430000;
    /// <summary>The server does not support the requested monitored item filter.</summary>
    public const uint BadMonitoredItemFilterUnsupported = 0x80440000;
    /// <summary>A monitoring filter cannot be used in combination with the attribute specified.</summary>
    public const uint BadFilterNotAllowed = 0x80450000;
    /// <summary>A mandatory structured parameter was missing or null.</summary>
    public const uint BadStructureMissing = 0x80460000;
    /// <summary>The continuation point provide is longer valid.</summary>
    public const uint BadContinuationPointInvalid = 0x804A0000;
    /// <summary>The operation could not be processed because all continuation points have been allocated.</summary>
    public const uint BadNoContinuationPoints = 0x804B0000;
    /// <summary>The reference type id does not refer to a valid reference type node.</summary>
    public const uint BadReferenceTypeIdInvalid = 0x804C0000;
    /// <summary>The browse direction is not valid.</summary>
    public const uint BadBrowseDirectionInvalid = 0x804D0000;
    /// <summary>The node is not part of the view.</summary>
    public const uint BadNodeNotInView = 0x804E0000;
    /// <summary>The variable has no default value and no initial value.</summary>
    public const uint BadNoValue = 0x80F00000;
    /// <summary>The ServerUri is not a valid URI.</summary>
    public const uint BadServerUriInvalid = 0x804F0000;
    /// <summary>The security token request type is not valid.</summary>
    public const uint BadRequestTypeInvalid = 0x80530000;
    /// <summary>The security mode does not meet the requirements set by the server.</summary>
    public const uint BadSecurityModeRejected = 0x80540000;
    /// <summary>The security policy does not meet the requirements set by the server.</summary>
    public const uint BadSecurityPolicyRejected = 0x80550000;
    /// <summary>The server has reached its maximum number of sessions.</summary>
    public const uint BadTooManySessions = 0x80560000;
    /// <summary>The user token signature is missing or invalid.</summary>
    public const uint BadUserSignatureInvalid = 0x80570000;
    /// <summary>The signature generated with the client certificate is missing or invalid.</summary>
    public const uint BadApplicationSignatureInvalid = 0x80580000;
    /// <summary>The request was cancelled by the client with the Cancel service.</summary>
    public const uint BadRequestCancelledByRequest = 0x805A0000;
    /// <summary>The max age parameter is invalid.</summary>
    public const uint BadMaxAgeInvalid = 0x80700000;
    /// <summary>The operation is not permitted over the current secure channel.</summary>
    public const uint BadSecurityModeInsufficient = 0x80E60000;
    /// <summary>The server does not support writing the combination of value, status and timestamps provided.</summary>
    public const uint BadWriteNotSupported = 0x80730000;
    /// <summary>The value supplied for the attribute is not of the same type as the attribute's value.</summary>
    public const uint BadTypeMismatch = 0x80740000;
    /// <summary>The method id does not refer to a method for the specified object.</summary>
    public const uint BadMethodInvalid = 0x80750000;
    /// <summary>The client did not specify all of the input arguments for the method.</summary>
    public const uint BadArgumentsMissing = 0x80760000;
    /// <summary>The executable attribute does not allow the execution of the method.</summary>
    public const uint BadNotExecutable = 0x81110000;
    /// <summary>The server has reached its maximum number of subscriptions.</summary>
    public const uint BadTooManySubscriptions = 0x80770000;
    /// <summary>The server has reached the maximum number of queued publish requests.</summary>
    public const uint BadTooManyPublishRequests = 0x80780000;
    /// <summary>There is no subscription available for this session.</summary>
    public const uint BadNoSubscription = 0x80790000;
    /// <summary>The sequence number is unknown to the server.</summary>
    public const uint BadSequenceNumberUnknown = 0x807A0000;
    /// <summary>The Server does not support retransmission queue and acknowledgement of sequence numbers is not available.</summary>
    public const uint GoodRetransmissionQueueNotSupported = 0x00DF0000;
    /// <summary>The requested notification message is no longer available.</summary>
    public const uint BadMessageNotAvailable = 0x807B0000;
    /// <summary>The client of the current session does not support one or more Profiles that are necessary for the subscription.</summary>
    public const uint BadInsufficientClientProfile = 0x807C0000;
    /// <summary>The server cannot process the request because it is too busy.</summary>
    public const uint BadTcpServerTooBusy = 0x807D0000;
    /// <summary>The type of the message specified in the header invalid.</summary>
    public const uint BadTcpMessageTypeInvalid = 0x807E0000;
    /// <summary>The SecureChannelId and/or TokenId are not currently in use.</summary>
    public const uint BadTcpSecureChannelUnknown = 0x807F0000;
    /// <summary>The size of the message chunk specified in the header is too large.</summary>
    public const uint BadTcpMessageTooLarge = 0x80800000;
    /// <summary>There are not enough resources to process the request.</summary>
    public const uint BadTcpNotEnoughResources = 0x80810000;
    /// <summary>An internal error occurred.</summary>
    public const uint BadTcpInternalError = 0x80820000;
    /// <summary>The server does not recognize the QueryString specified.</summary>
    public const uint BadTcpEndpointUrlInvalid = 0x80830000;
    /// <summary>The request could not be sent because of a network interruption.</summary>
    public const uint BadRequestInterrupted = 0x80840000;
    /// <summary>Timeout occurred while processing the request.</summary>
    public const uint BadRequestTimeout = 0x80850000;
    /// <summary>The secure channel has been closed.</summary>
    public const uint BadSecureChannelClosed = 0x80860000;
    /// <summary>The token has expired or is not recognized.</summary>
    public const uint BadSecureChannelTokenUnknown = 0x80870000;
    /// <summary>The sequence number is not valid.</summary>
    public const uint BadSequenceNumberInvalid = 0x80880000;
    /// <summary>The applications do not have compatible protocol versions.</summary>
    public const uint BadProtocolVersionUnsupported = 0x80BE0000;
    /// <summary>There is a problem with the configuration that affects the usefulness of the value.</summary>
    public const uint BadConfigurationError = 0x80890000;
    /// <summary>The variable should receive its value from another variable, but has never been configured to do so.</summary>
    public const uint BadNotConnected = 0x808A0000;
    /// <summary>There has been a failure in the device/data source that generates the value that has affected the value.</summary>
    public const uint BadDeviceFailure = 0x808B0000;
    /// <summary>There has been a failure in the sensor from which the value is derived by the device/data source.</summary>
    public const uint BadSensorFailure = 0x808C0000;
    /// <summary>The source of the data is not operational.</summary>
    public const uint BadOutOfService = 0x808D0000;
    /// <summary>Whatever was updating this value has stopped doing so.</summary>
    public const uint UncertainLastUsableValue = 0x40900000;
    /// <summary>The value is an initial value for a variable that normally receives its value from another variable.</summary>
    public const uint UncertainInitialValue = 0x40920000;
    /// <summary>One or more arguments are invalid.</summary>
    public const uint BadInvalidArgument = 0x80AB0000;
    /// <summary>Could not establish a network connection to remote server.</summary>
    public const uint BadConnectionRejected = 0x80AC0000;
    /// <summary>The server has disconnected from the client.</summary>
    public const uint BadDisconnect = 0x80AD0000;
    /// <summary>The network connection has been closed.</summary>
    public const uint BadConnectionClosed = 0x80AE0000;
    /// <summary>The operation cannot be completed because the object is closed, uninitialized or in some other invalid state.</summary>
    public const uint BadInvalidState = 0x80AF0000;
    /// <summary>Cannot move beyond end of the stream.</summary>
    public const uint BadEndOfStream = 0x80B00000;
    /// <summary>The operation could not be finished because all available connections are in use.</summary>
    public const uint BadMaxConnectionsReached = 0x80B70000;

    private static readonly Dictionary<uint, (string Name, string Description)> Table = new()
    {
        [Good] = ("Good", "The operation succeeded."),
        [Uncertain] = ("Uncertain", "The operation was uncertain."),
        [Bad] = ("Bad", "The operation failed."),
        [BadUnexpectedError] = ("BadUnexpectedError", "An unexpected error occurred."),
        [BadInternalError] = ("BadInternalError", "An internal error occurred as a result of a programming or configuration error."),
        [BadOutOfMemory] = ("BadOutOfMemory", "Not enough memory to complete the operation."),
        [BadResourceUnavailable] = ("BadResourceUnavailable", "An operating system resource is not available."),
        [BadCommunicationError] = ("BadCommunicationError", "A low level communication error occurred."),
        [BadEncodingError] = ("BadEncodingError", "Encoding halted because of invalid data in the objects being serialized."),
        [BadDecodingError] = ("BadDecodingError", "Decoding halted because of invalid data in the stream."),
        [BadEncodingLimitsExceeded] = ("BadEncodingLimitsExceeded", "The message encoding/decoding limits imposed by the stack have been exceeded."),
        [BadRequestTooLarge] = ("BadRequestTooLarge", "The request message size exceeds limits set by the server."),
        [BadResponseTooLarge] = ("BadResponseTooLarge", "The response message size exceeds limits set by the client or server."),
        [BadUnknownResponse] = ("BadUnknownResponse", "An unrecognized response was received from the server."),
        [BadTimeout] = ("BadTimeout", "The operation timed out."),
        [BadServiceUnsupported] = ("BadServiceUnsupported", "The server does not support the requested service."),
        [BadShutdown] = ("BadShutdown", "The operation was cancelled because the application is shutting down."),
        [BadServerNotConnected] = ("BadServerNotConnected", "The operation could not complete because the client is not connected to the server."),
        [BadServerHalted] = ("BadServerHalted", "The server has stopped and cannot process any requests."),
        [BadNothingToDo] = ("BadNothingToDo", "No processing could be done because there was nothing to do."),
        [BadTooManyOperations] = ("BadTooManyOperations", "The request could not be processed because it specified too many operations."),
        [BadTooManyMonitoredItems] = ("BadTooManyMonitoredItems", "The request could not be processed because there are too many monitored items in the subscription."),
        [BadDataTypeIdUnknown] = ("BadDataTypeIdUnknown", "The extension object cannot be (de)serialized because the data type id is not recognized."),
        [BadCertificateInvalid] = ("BadCertificateInvalid", "The certificate provided as a parameter is not valid."),
        [BadSecurityChecksFailed] = ("BadSecurityChecksFailed", "An error occurred verifying security."),
        [BadCertificateTimeInvalid] = ("BadCertificateTimeInvalid", "The certificate has expired or is not yet valid."),
        [BadCertificateUriInvalid] = ("BadCertificateUriInvalid", "The URI specified in the ApplicationDescription does not match the URI in the certificate."),
        [BadCertificateUseNotAllowed] = ("BadCertificateUseNotAllowed", "The certificate may not be used for the requested operation."),
        [BadCertificateUntrusted] = ("BadCertificateUntrusted", "The certificate is not trusted."),
        [BadCertificatePolicyCheckFailed] = ("BadCertificatePolicyCheckFailed", "The certificate does not meet the requirements of the security policy."),
        [BadUserAccessDenied] = ("BadUserAccessDenied", "User does not have permission to perform the requested operation."),
        [BadIdentityTokenInvalid] = ("BadIdentityTokenInvalid", "The user identity token is not valid."),
        [BadIdentityTokenRejected] = ("BadIdentityTokenRejected", "The user identity token is valid but the server has rejected it."),
        [BadSecureChannelIdInvalid] = ("BadSecureChannelIdInvalid", "The specified secure channel is no longer valid."),
        [BadInvalidTimestamp] = ("BadInvalidTimestamp", "The timestamp is outside the range allowed by the server."),
        [BadNonceInvalid] = ("BadNonceInvalid", "The nonce does appear to be not a random value or it is not the correct length."),
        [BadSessionIdInvalid] = ("BadSessionIdInvalid", "The session id is not valid."),
        [BadSessionClosed] = ("BadSessionClosed", "The session was closed by the client."),
        [BadSessionNotActivated] = ("BadSessionNotActivated", "The session cannot be used because ActivateSession has not been called."),
        [BadSubscriptionIdInvalid] = ("BadSubscriptionIdInvalid", "The subscription id is not valid."),
        [BadRequestHeaderInvalid] = ("BadRequestHeaderInvalid", "The header for the request is missing or invalid."),
        [BadTimestampsToReturnInvalid] = ("BadTimestampsToReturnInvalid", "The timestamps to return parameter is invalid."),
        [BadRequestCancelledByClient] = ("BadRequestCancelledByClient", "The request was cancelled by the client."),
        [BadTooManyArguments] = ("BadTooManyArguments", "Too many arguments were provided."),
        [BadServerTooBusy] = ("BadServerTooBusy", "The Server does not have the resources to process the request at this time."),
        [GoodSubscriptionTransferred] = ("GoodSubscriptionTransferred", "The subscription was transferred to another session."),
        [GoodCompletesAsynchronously] = ("GoodCompletesAsynchronously", "The processing will complete asynchronously."),
        [GoodOverload] = ("GoodOverload", "Sampling has slowed down due to resource limitations."),
        [GoodClamped] = ("GoodClamped", "The value written was accepted but was clamped."),
        [BadNoCommunication] = ("BadNoCommunication", "Communication with the data source is defined, but not established, and there is no last known value available."),
        [BadWaitingForInitialData] = ("BadWaitingForInitialData", "Waiting for the server to obtain values from the underlying data source."),
        [BadNodeIdInvalid] = ("BadNodeIdInvalid", "The syntax the node id is not valid or refers to a node that is not valid for the operation."),
        [BadNodeIdUnknown] = ("BadNodeIdUnknown", "The node id refers to a node that does not exist in the server address space."),
        [BadAttributeIdInvalid] = ("BadAttributeIdInvalid", "The attribute is not supported for the specified Node."),
        [BadIndexRangeInvalid] = ("BadIndexRangeInvalid", "The syntax of the index range parameter is invalid."),
        [BadIndexRangeNoData] = ("BadIndexRangeNoData", "No data exists within the range of indexes specified."),
        [BadDataEncodingInvalid] = ("BadDataEncodingInvalid", "The data encoding is invalid."),
        [BadDataEncodingUnsupported] = ("BadDataEncodingUnsupported", "The server does not support the requested data encoding for the node."),
        [BadNotReadable] = ("BadNotReadable", "The access level does not allow reading or subscribing to the Node."),
        [BadNotWritable] = ("BadNotWritable", "The access level does not allow writing to the Node."),
        [BadOutOfRange] = ("BadOutOfRange", "The value was out of range."),
        [BadNotSupported] = ("BadNotSupported", "The requested operation is not supported."),
        [BadNotFound] = ("BadNotFound", "A requested item was not found or a search operation ended without success."),
        [BadObjectDeleted] = ("BadObjectDeleted", "The object cannot be used because it has been deleted."),
        [BadNotImplemented] = ("BadNotImplemented", "Requested operation is not implemented."),
        [BadMonitoringModeInvalid] = ("BadMonitoringModeInvalid", "The monitoring mode is invalid."),
        [BadMonitoredItemIdInvalid] = ("BadMonitoredItemIdInvalid", "The monitoring item id does not refer to a valid monitored item."),
        [BadMonitoredItemFilterInvalid] = ("BadMonitoredItemFilterInvalid", "The monitored item filter parameter is not valid."),
        [BadMonitoredItemFilterUnsupported] = ("BadMonitoredItemFilterUnsupported", "The server does not support the requested monitored item filter."),
        [BadFilterNotAllowed] = ("BadFilterNotAllowed", "A monitoring filter cannot be used in combination with the attribute specified."),
        [BadStructureMissing] = ("BadStructureMissing", "A mandatory structured parameter was missing or null."),
        [BadContinuationPointInvalid] = ("BadContinuationPointInvalid", "The continuation point provide is longer valid."),
        [BadNoContinuationPoints] = ("BadNoContinuationPoints", "The operation could not be processed because all continuation points have been allocated."),
        [BadReferenceTypeIdInvalid] = ("BadReferenceTypeIdInvalid", "The reference type id does not refer to a valid reference type node."),
        [BadBrowseDirectionInvalid] = ("BadBrowseDirectionInvalid", "The browse direction is not valid."),
        [BadNodeNotInView] = ("BadNodeNotInView", "The node is not part of the view."),
        [BadNoValue] = ("BadNoValue", "The variable has no default value and no initial value."),
        [BadServerUriInvalid] = ("BadServerUriInvalid", "The ServerUri is not a valid URI."),
        [BadRequestTypeInvalid] = ("BadRequestTypeInvalid", "The security token request type is not valid."),
        [BadSecurityModeRejected] = ("BadSecurityModeRejected", "The security mode does not meet the requirements set by the server."),
        [BadSecurityPolicyRejected] = ("BadSecurityPolicyRejected", "The security policy does not meet the requirements set by the server."),
        [BadTooManySessions] = ("BadTooManySessions", "The server has reached its maximum number of sessions."),
        [BadUserSignatureInvalid] = ("BadUserSignatureInvalid", "The user token signature is missing or invalid."),
        [BadApplicationSignatureInvalid] = ("BadApplicationSignatureInvalid", "The signature generated with the client certificate is missing or invalid."),
        [BadRequestCancelledByRequest] = ("BadRequestCancelledByRequest", "The request was cancelled by the client with the Cancel service."),
        [BadMaxAgeInvalid] = ("BadMaxAgeInvalid", "The max age parameter is invalid."),
        [BadSecurityModeInsufficient] = ("BadSecurityModeInsufficient", "The operation is not permitted over the current secure channel."),
        [BadWriteNotSupported] = ("BadWriteNotSupported", "The server does not support writing the combination of value, status and timestamps provided."),
        [BadTypeMismatch] = ("BadTypeMismatch", "The value supplied for the attribute is not of the same type as the attribute's value."),
        [BadMethodInvalid] = ("BadMethodInvalid", "The method id does not refer to a method for the specified object."),
        [BadArgumentsMissing] = ("BadArgumentsMissing", "The client did not specify all of the input arguments for the method."),
        [BadNotExecutable] = ("BadNotExecutable", "The executable attribute does not allow the execution of the method."),
        [BadTooManySubscriptions] = ("BadTooManySubscriptions", "The server has reached its maximum number of subscriptions."),
        [BadTooManyPublishRequests] = ("BadTooManyPublishRequests", "The server has reached the maximum number of queued publish requests."),
        [BadNoSubscription] = ("BadNoSubscription", "There is no subscription available for this session."),
        [BadSequenceNumberUnknown] = ("BadSequenceNumberUnknown", "The sequence number is unknown to the server."),
        [GoodRetransmissionQueueNotSupported] = ("GoodRetransmissionQueueNotSupported", "The Server does not support retransmission queue and acknowledgement of sequence numbers is not available."),
        [BadMessageNotAvailable] = ("BadMessageNotAvailable", "The requested notification message is no longer available."),
        [BadInsufficientClientProfile] = ("BadInsufficientClientProfile", "The client of the current session does not support one or more Profiles that are necessary for the subscription."),
        [BadTcpServerTooBusy] = ("BadTcpServerTooBusy", "The server cannot process the request because it is too busy."),
        [BadTcpMessageTypeInvalid] = ("BadTcpMessageTypeInvalid", "The type of the message specified in the header invalid."),
        [BadTcpSecureChannelUnknown] = ("BadTcpSecureChannelUnknown", "The SecureChannelId and/or TokenId are not currently in use."),
        [BadTcpMessageTooLarge] = ("BadTcpMessageTooLarge", "The size of the message chunk specified in the header is too large."),
        [BadTcpNotEnoughResources] = ("BadTcpNotEnoughResources", "There are not enough resources to process the request."),
        [BadTcpInternalError] = ("BadTcpInternalError", "An internal error occurred."),
        [BadTcpEndpointUrlInvalid] = ("BadTcpEndpointUrlInvalid", "The server does not recognize the QueryString specified."),
        [BadRequestInterrupted] = ("BadRequestInterrupted", "The request could not be sent because of a network interruption."),
        [BadRequestTimeout] = ("BadRequestTimeout", "Timeout occurred while processing the request."),
        [BadSecureChannelClosed] = ("BadSecureChannelClosed", "The secure channel has been closed."),
        [BadSecureChannelTokenUnknown] = ("BadSecureChannelTokenUnknown", "The token has expired or is not recognized."),
        [BadSequenceNumberInvalid] = ("BadSequenceNumberInvalid", "The sequence number is not valid."),
        [BadProtocolVersionUnsupported] = ("BadProtocolVersionUnsupported", "The applications do not have compatible protocol versions."),
        [BadConfigurationError] = ("BadConfigurationError", "There is a problem with the configuration that affects the usefulness of the value."),
        [BadNotConnected] = ("BadNotConnected", "The variable should receive its value from another variable, but has never been configured to do so."),
        [BadDeviceFailure] = ("BadDeviceFailure", "There has been a failure in the device/data source that generates the value that has affected the value."),
        [BadSensorFailure] = ("BadSensorFailure", "There has been a failure in the sensor from which the value is derived by the device/data source."),
        [BadOutOfService] = ("BadOutOfService", "The source of the data is not operational."),
        [UncertainLastUsableValue] = ("UncertainLastUsableValue", "Whatever was updating this value has stopped doing so."),
        [UncertainInitialValue] = ("UncertainInitialValue", "The value is an initial value for a variable that normally receives its value from another variable."),
        [BadInvalidArgument] = ("BadInvalidArgument", "One or more arguments are invalid."),
        [BadConnectionRejected] = ("BadConnectionRejected", "Could not establish a network connection to remote server."),
        [BadDisconnect] = ("BadDisconnect", "The server has disconnected from the client."),
        [BadConnectionClosed] = ("BadConnectionClosed", "The network connection has been closed."),
        [BadInvalidState] = ("BadInvalidState", "The operation cannot be completed because the object is closed, uninitialized or in some other invalid state."),
        [BadEndOfStream] = ("BadEndOfStream", "Cannot move beyond end of the stream."),
        [BadMaxConnectionsReached] = ("BadMaxConnectionsReached", "The operation could not be finished because all available connections are in use."),
    };

    /// <summary>The symbolic name and description of a code (its sub-code bits ignored), when this table has it.</summary>
    public static bool TryLookup(uint code, out string name, out string description)
    {
        if (Table.TryGetValue(code & 0xFFFF0000, out var entry)) { (name, description) = entry; return true; }
        name = description = "";
        return false;
    }
}
