namespace MqttIoT.OpcUa.Transport;

/// <summary>What HEL and ACK settled (OPC 10000-6 §7.1.2.3, §7.1.2.4).</summary>
/// <param name="SendChunkSize">Largest chunk we send: our send buffer or the server's receive buffer, the smaller.</param>
/// <param name="ReceiveChunkSize">Largest chunk the server sends us.</param>
/// <param name="RemoteMaxMessageSize">Largest request the server takes; 0 for no limit.</param>
/// <param name="RemoteMaxChunkCount">Most chunks in a request the server takes; 0 for no limit.</param>
public sealed record TransportLimits(int SendChunkSize, int ReceiveChunkSize, int RemoteMaxMessageSize, int RemoteMaxChunkCount);
