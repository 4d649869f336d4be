using Microsoft.Extensions.Options;

namespace MqttIoT.Gateway.Backends.Ble;

/// <summary>The <c>[Range]</c>/<c>[Required]</c> checks of <see cref="BleStationOptions"/>, source-generated.</summary>
[OptionsValidator]
internal sealed partial class BleStationOptionsValidator : IValidateOptions<BleStationOptions>;
