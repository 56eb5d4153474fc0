//! The integration tokens card's strings (Settings), in the Settings page's lazy module rather than the first load
//! (`crate::i18n::area_messages!`).

crate::i18n::area_messages! {
    TokensText {
        TokensTitle => "Integration tokens", "Tokens de integración", "集成令牌";
        TokensHint => "A token lets a script or another app (a CRM) use the REST API as you. Give each one only the scopes it needs, and revoke it when it is no longer used.", "Un token permite que un script u otra aplicación (un CRM) use la API REST en su nombre. Dé a cada uno solo los permisos que necesita y revóquelo cuando ya no se use.", "令牌可让脚本或其他应用（如 CRM）以您的身份使用 REST API。每个令牌只授予所需的权限，不再使用时请撤销。";
        TokenName => "Name", "Nombre", "名称";
        TokenScopes => "Scopes", "Permisos", "权限范围";
        TokenLifetime => "Expires after", "Caduca tras", "有效期";
        TokenDays => "{days} days", "{days} días", "{days} 天";
        TokenCreate => "Create token", "Crear token", "创建令牌";
        TokenShownOnce => "Copy this token now: it is shown only once.", "Copie este token ahora: solo se muestra una vez.", "请立即复制此令牌：它只显示一次。";
        TokenCopy => "Copy", "Copiar", "复制";
        TokenCopied => "Copied", "Copiado", "已复制";
        TokenRevoke => "Revoke", "Revocar", "撤销";
        TokenRevoked => "Token revoked.", "Token revocado.", "令牌已撤销。";
        TokensNone => "No tokens yet.", "Aún no hay tokens.", "还没有令牌。";
        TokenCreatedOn => "Created {date}", "Creado el {date}", "创建于 {date}";
        TokenLastUsed => "Last used {date}", "Último uso {date}", "上次使用 {date}";
        TokenNeverUsed => "Never used", "Sin usar", "从未使用";
        TokenExpires => "Expires {date}", "Caduca el {date}", "{date} 到期";
        TokenExpired => "Expired", "Caducado", "已过期";
        ScopeContactsRead => "Read contacts", "Leer contactos", "读取联系人";
        ScopeContactsWrite => "Change contacts", "Modificar contactos", "修改联系人";
        ScopeCallsRead => "Read the call log", "Leer el registro de llamadas", "读取通话记录";
        ScopeCallsWrite => "Place calls", "Realizar llamadas", "拨打电话";
        ScopeRecordingsRead => "Play recordings", "Reproducir grabaciones", "播放录音";
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_translation_is_present_and_keeps_the_placeholders() {
        crate::i18n::tests::check_translations(super::TokensText::ALL);
    }
}
