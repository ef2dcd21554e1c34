/// Every built-in rule. Add a new rule here (alphabetical); `RuleRegistryTests` checks the list.
public enum BuiltinRules {
  public static let all: [any MaskingRule.Type] = [
    DropIMAPAppendedMessages.self,
    DropPOP3RetrievedMessages.self,
    DropSMTPChunkData.self,
    DropSMTPMessageData.self,
    MaskAPOPDigest.self,
    MaskIMAPLogin.self,
    MaskPOP3Password.self,
    MaskSASLExchange.self,
    MaskStrayUserArguments.self,
  ]
}
