import type { ThemeConfig } from 'antd';

export const consoleTheme: ThemeConfig = {
  token: {
    colorPrimary: '#1f6feb',
    borderRadius: 6,
    fontFamily:
      "-apple-system, BlinkMacSystemFont, 'Segoe UI', 'Inter', 'Helvetica Neue', Arial, 'Noto Sans', sans-serif",
  },
  components: {
    Layout: { siderBg: '#0d1b2a', headerBg: '#ffffff', bodyBg: '#f4f6f9', headerPadding: '0 24px' },
    Menu: {
      darkItemBg: '#0d1b2a',
      darkSubMenuItemBg: '#0a1622',
      darkItemSelectedBg: '#1f6feb',
      darkGroupTitleColor: 'rgba(255, 255, 255, 0.42)',
      groupTitleFontSize: 11,
      itemHeight: 34,
      itemMarginBlock: 2,
    },
    Table: { headerBg: '#fafbfc' },
  },
};
