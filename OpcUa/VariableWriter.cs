using System.Collections.Concurrent;
using MqttIoT.OpcUa.Binary;
using MqttIoT.OpcUa.Services;

namespace MqttIoT.OpcUa;

/// <summary>
/// Writes values converted to each variable's type. The type is read once per variable (its DataType attribute,
/// or for a type this client does not know, its current value's type) and cached for the life of the writer.
/// </summary>
public sealed class VariableWriter
{
    private readonly IOpcUaSession _session;
    private readonly ConcurrentDictionary<NodeId, BuiltInType> _types;

    /// <summary>A writer over <paramref name="session"/>, sharing <paramref name="cache"/> (e.g. across reconnects) when given.</summary>
    public VariableWriter(IOpcUaSession session, ConcurrentDictionary<NodeId, BuiltInType>? cache = null)
    {
        _session = session;
        _types = cache ?? new ConcurrentDictionary<NodeId, BuiltInType>();
    }

    /// <summary>How many variable types are cached.</summary>
    public int CachedTypes => _types.Count;

    /// <summary>The built-in type of a variable's value, read once and cached.</summary>
    public async Task<BuiltInType> GetBuiltInTypeAsync(NodeId variable, CancellationToken cancellationToken)
    {
        if (_types.TryGetValue(variable, out var cached)) return cached;
        var results = await _session.ReadAsync([new ReadValueId(variable, AttributeIds.DataType), new ReadValueId(variable)], 0,
            TimestampsToReturn.Neither, cancellationToken).ConfigureAwait(false);
        if (results[0].StatusCode.IsBad) throw new OpcUaException(results[0].StatusCode, $"reading the DataType of {variable}");
        BuiltInType type;
        if (results[0].Value.Value is NodeId dataType && DataTypes.TryGetBuiltInType(dataType, out var known)) type = known;
        else if (!results[1].Value.IsNull) type = results[1].Value.Type;
        else throw new OpcUaException(StatusCodes.BadTypeMismatch, $"the type of {variable} is neither a known data type nor visible in its value");
        _types[variable] = type;
        return type;
    }

    /// <summary>Converts <paramref name="value"/> to the variable's type and writes it; a Bad result throws.</summary>
    public async Task WriteAsync(NodeId variable, object? value, CancellationToken cancellationToken)
    {
        var type = await GetBuiltInTypeAsync(variable, cancellationToken).ConfigureAwait(false);
        var variant = ValueConverter.Convert(value, type);
        var status = (await _session.WriteAsync([new WriteValue(variable, DataValue.Of(variant))], cancellationToken).ConfigureAwait(false))[0];
        if (status.IsBad) throw new OpcUaException(status, $"writing {variable}");
    }
}
